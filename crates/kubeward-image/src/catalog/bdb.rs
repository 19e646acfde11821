//! A reader of Berkeley DB hash databases, enough to list their values: the rpm database of
//! CentOS 7, RHEL/Rocky/AlmaLinux 8 and Amazon Linux 2 (`var/lib/rpm/Packages`) is one, whose
//! values are rpm header blobs (see [`super::rpm::Header`]).
//!
//! # Layout
//!
//! The file is a sequence of pages of one size. Integers are in the byte order of the machine
//! that wrote the file: the magic number of the first page tells which (the rpm header blobs
//! stored as values are big-endian whatever the file's order).
//!
//! Page 0, the hash metadata page (the generic `DBMETA`, then hash fields this reader does
//! not need):
//!
//! ```text
//!  0  lsn            8 bytes
//!  8  pgno           u32 (0)
//! 12  magic          u32  0x00061561 (hash)
//! 16  version        u32  hash format version (8, 9 or 10)
//! 20  pagesize       u32  512 ..= 65536, a power of two
//! 24  encrypt_alg    u8   0: not encrypted (an encrypted file is refused)
//! 25  type           u8   8 (P_HASHMETA)
//! 26  metaflags      u8
//! 27  unused         u8
//! 28  free           u32  first free page
//! 32  last_pgno      u32  last page of the file
//! ...                     (key and record counts, uid, then max_bucket, masks, spares...)
//! ```
//!
//! Every other page starts with a 26-byte header:
//!
//! ```text
//!  0  lsn            8 bytes
//!  8  pgno           u32
//! 12  prev_pgno      u32
//! 16  next_pgno      u32  next page of an overflow chain or bucket chain (0: none)
//! 20  entries        u16  number of items on the page
//! 22  hf_offset      u16  hash page: start of the item area; overflow page: bytes of data
//! 24  level          u8
//! 25  type           u8   13 (P_HASH) or 2 (P_HASH_UNSORTED): buckets;
//!                         7 (P_OVERFLOW): part of a long item; 0: free
//! ```
//!
//! A hash page has, after the header, `entries` u16 offsets (from the page start) of its
//! items, which are packed downwards from the end of the page: item `i` runs from its offset
//! to the offset of item `i - 1` (item 0 to the end of the page). Items alternate key, value.
//! The first byte of an item is its type:
//!
//! ```text
//! 1  H_KEYDATA   the bytes follow, up to the end of the item
//! 3  H_OFFPAGE   3 unused bytes, pgno u32, tlen u32: tlen bytes stored on the overflow
//!                pages pgno, next_pgno, ... each holding hf_offset bytes after its header
//! 2  H_DUPLICATE, 4 H_OFFDUP   duplicate sets (rpm does not use them: skipped, with a warning)
//! ```
//!
//! The reader visits the pages in file order and takes every key/value pair of every hash
//! page (bucket order does not matter for a listing). It never trusts a number it read: page
//! numbers are checked against the file, offsets and lengths against the page, an overflow
//! chain may not visit a page twice (each overflow page is read at most once over the whole
//! file, so the work and the memory are bounded by the file's size), and a value's declared
//! length must be what its chain holds.

/// Hash database magic number.
pub const HASH_MAGIC: u32 = 0x0006_1561;

const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASHMETA: u8 = 8;
const P_HASH: u8 = 13;
const H_KEYDATA: u8 = 1;
const H_DUPLICATE: u8 = 2;
const H_OFFPAGE: u8 = 3;
const H_OFFDUP: u8 = 4;
const PAGE_HEADER: usize = 26;

/// One key/value pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    /// The key's bytes.
    pub key: Vec<u8>,
    /// The value's bytes.
    pub value: Vec<u8>,
}

#[derive(Clone, Copy)]
struct Order {
    little: bool,
}

impl Order {
    fn u16(self, b: &[u8], at: usize) -> Option<u16> {
        let s: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if self.little {
            u16::from_le_bytes(s)
        } else {
            u16::from_be_bytes(s)
        })
    }
    fn u32(self, b: &[u8], at: usize) -> Option<u32> {
        let s: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.little {
            u32::from_le_bytes(s)
        } else {
            u32::from_be_bytes(s)
        })
    }
}

/// True when `data` starts like a Berkeley DB hash file.
pub fn is_hash_db(data: &[u8]) -> bool {
    let le = Order { little: true };
    let be = Order { little: false };
    [le, be].iter().any(|o| o.u32(data, 12) == Some(HASH_MAGIC))
}

/// The key/value pairs of a hash database, in page order, and warnings about items that could
/// not be read (a bad item is skipped, the rest is still read). An error when `data` is not a
/// hash database this reader understands.
pub fn read_pairs(data: &[u8]) -> Result<(Vec<Pair>, Vec<String>), String> {
    let order = [Order { little: true }, Order { little: false }]
        .into_iter()
        .find(|o| o.u32(data, 12) == Some(HASH_MAGIC))
        .ok_or("not a Berkeley DB hash database")?;
    let version = order.u32(data, 16).unwrap_or(0);
    if !(8..=10).contains(&version) {
        return Err(format!("hash format version {version} is not supported"));
    }
    let pagesize = order.u32(data, 20).unwrap_or(0) as usize;
    if !(512..=65536).contains(&pagesize) || !pagesize.is_power_of_two() {
        return Err(format!("invalid page size {pagesize}"));
    }
    if data.get(24) != Some(&0) {
        return Err("the database is encrypted".into());
    }
    if data.get(25) != Some(&P_HASHMETA) {
        return Err("the first page is not a hash metadata page".into());
    }
    let pages = data.len() / pagesize;
    let mut warnings = Vec::new();
    if !data.len().is_multiple_of(pagesize) {
        warnings.push(format!(
            "{} trailing bytes after the last whole page ignored",
            data.len() % pagesize
        ));
    }
    let page = |n: usize| -> &[u8] { &data[n * pagesize..(n + 1) * pagesize] };
    let mut used = vec![false; pages];
    let mut pairs = Vec::new();
    for n in 1..pages {
        let p = page(n);
        if p[25] != P_HASH && p[25] != P_HASH_UNSORTED {
            continue;
        }
        let entries = order.u16(p, 20).unwrap_or(0) as usize;
        if PAGE_HEADER + 2 * entries > pagesize {
            warnings.push(format!("page {n}: {entries} items do not fit the page"));
            continue;
        }
        let offset = |i: usize| order.u16(p, PAGE_HEADER + 2 * i).unwrap_or(0) as usize;
        // item i spans offset(i)..end(i)
        let item = |i: usize| -> Option<&[u8]> {
            let start = offset(i);
            let end = if i == 0 { pagesize } else { offset(i - 1) };
            if start < PAGE_HEADER + 2 * entries || start >= end || end > pagesize {
                return None;
            }
            Some(&p[start..end])
        };
        for k in 0..entries / 2 {
            let (Some(key), Some(value)) = (item(2 * k), item(2 * k + 1)) else {
                warnings.push(format!("page {n}: item pair {k} lies outside its page"));
                continue;
            };
            let key = match read_item(key, data, pagesize, order, &mut used) {
                Ok(k) => k,
                Err(e) => {
                    warnings.push(format!("page {n}: key {k}: {e}"));
                    continue;
                }
            };
            match read_item(value, data, pagesize, order, &mut used) {
                Ok(value) => pairs.push(Pair { key, value }),
                Err(e) => warnings.push(format!("page {n}: value {k}: {e}")),
            }
        }
    }
    Ok((pairs, warnings))
}

/// The bytes of one item: inline, or gathered from its overflow chain.
fn read_item(
    item: &[u8],
    data: &[u8],
    pagesize: usize,
    order: Order,
    used: &mut [bool],
) -> Result<Vec<u8>, String> {
    match item[0] {
        H_KEYDATA => Ok(item[1..].to_vec()),
        H_OFFPAGE => {
            let (Some(first), Some(tlen)) = (order.u32(item, 4), order.u32(item, 8)) else {
                return Err("truncated off-page reference".into());
            };
            let tlen = tlen as usize;
            if tlen > data.len() {
                return Err(format!("declares {tlen} bytes, more than the file holds"));
            }
            let mut out = Vec::with_capacity(tlen);
            let mut next = first as usize;
            while out.len() < tlen {
                if next == 0 || next >= used.len() {
                    return Err(format!("overflow page {next} is not in the file"));
                }
                if used[next] {
                    return Err(format!("overflow page {next} is used twice"));
                }
                used[next] = true;
                let p = &data[next * pagesize..(next + 1) * pagesize];
                if p[25] != P_OVERFLOW {
                    return Err(format!("page {next} is not an overflow page"));
                }
                let len = order.u16(p, 22).unwrap_or(0) as usize;
                let chunk = p
                    .get(PAGE_HEADER..PAGE_HEADER + len)
                    .ok_or_else(|| format!("overflow page {next} claims {len} bytes"))?;
                if out.len() + chunk.len() > tlen {
                    return Err(format!("overflow chain holds more than {tlen} bytes"));
                }
                out.extend_from_slice(chunk);
                next = order.u32(p, 16).unwrap_or(0) as usize;
            }
            if out.len() != tlen {
                return Err(format!(
                    "overflow chain holds {} of {tlen} bytes",
                    out.len()
                ));
            }
            Ok(out)
        }
        H_DUPLICATE | H_OFFDUP => Err("duplicate sets are not read".into()),
        t => Err(format!("unknown item type {t}")),
    }
}

/// Writes hash database files: the inverse of [`read_pairs`] for tests and fixtures. Pairs
/// are put on hash pages in the order given (no hashing: the reader does not need buckets);
/// values too long for a page go to overflow chains.
pub mod build {
    use super::*;

    /// A database of `pairs` with pages of `pagesize` bytes, little- or big-endian.
    pub fn hash_db(pairs: &[(&[u8], &[u8])], pagesize: usize, little: bool) -> Vec<u8> {
        let u16b = |x: u16| {
            if little {
                x.to_le_bytes()
            } else {
                x.to_be_bytes()
            }
        };
        let u32b = |x: u32| {
            if little {
                x.to_le_bytes()
            } else {
                x.to_be_bytes()
            }
        };
        let mut pages: Vec<Vec<u8>> = vec![vec![0; pagesize]];
        // the metadata page
        {
            let m = &mut pages[0];
            m[12..16].copy_from_slice(&u32b(HASH_MAGIC));
            m[16..20].copy_from_slice(&u32b(9));
            m[20..24].copy_from_slice(&u32b(pagesize as u32));
            m[25] = P_HASHMETA;
        }
        let new_page = |pages: &mut Vec<Vec<u8>>, kind: u8| -> usize {
            let n = pages.len();
            let mut p = vec![0; pagesize];
            p[8..12].copy_from_slice(&u32b(n as u32));
            p[25] = kind;
            pages.push(p);
            n
        };
        // items of the current hash page, as encoded bytes
        let mut items: Vec<Vec<u8>> = Vec::new();
        let mut page_items: Vec<Vec<Vec<u8>>> = Vec::new();
        let room = |items: &[Vec<u8>]| {
            pagesize - PAGE_HEADER - items.iter().map(|i| i.len() + 2).sum::<usize>()
        };
        let mut overflow_pages: Vec<(usize, Vec<u8>)> = Vec::new();
        let mut next_page = 2; // page 1 is the first hash page
        let mut encode = |bytes: &[u8], pages_out: &mut Vec<(usize, Vec<u8>)>| -> Vec<u8> {
            if bytes.len() + 1 + 2 <= pagesize / 4 {
                let mut it = vec![H_KEYDATA];
                it.extend_from_slice(bytes);
                return it;
            }
            let per = pagesize - PAGE_HEADER;
            let first = next_page;
            let chunks: Vec<&[u8]> = bytes.chunks(per).collect();
            for (k, c) in chunks.iter().enumerate() {
                let n = next_page;
                next_page += 1;
                let next = if k + 1 < chunks.len() { n + 1 } else { 0 };
                let mut p = vec![0; pagesize];
                p[8..12].copy_from_slice(&u32b(n as u32));
                p[16..20].copy_from_slice(&u32b(next as u32));
                p[22..24].copy_from_slice(&u16b(c.len() as u16));
                p[25] = P_OVERFLOW;
                p[PAGE_HEADER..PAGE_HEADER + c.len()].copy_from_slice(c);
                pages_out.push((n, p));
            }
            let mut it = vec![H_OFFPAGE, 0, 0, 0];
            it.extend_from_slice(&u32b(first as u32));
            it.extend_from_slice(&u32b(bytes.len() as u32));
            it
        };
        for (k, v) in pairs {
            let ki = encode(k, &mut overflow_pages);
            let vi = encode(v, &mut overflow_pages);
            if room(&items) < ki.len() + vi.len() + 4 {
                page_items.push(std::mem::take(&mut items));
            }
            items.push(ki);
            items.push(vi);
        }
        page_items.push(items);
        // hash pages go after the overflow pages written so far
        let first_hash = new_page(&mut pages, P_HASH);
        debug_assert_eq!(first_hash, 1);
        let mut hash_numbers = vec![0; page_items.len()];
        hash_numbers[0] = first_hash;
        // place overflow pages at their numbers (2..), then the other hash pages after them
        let last_overflow = overflow_pages.iter().map(|(n, _)| *n).max().unwrap_or(1);
        pages.resize(last_overflow + 1, vec![0; pagesize]);
        for (n, p) in overflow_pages {
            pages[n] = p;
        }
        for h in hash_numbers.iter_mut().skip(1) {
            *h = new_page(&mut pages, P_HASH);
        }
        for (items, &n) in page_items.iter().zip(&hash_numbers) {
            let p = &mut pages[n];
            p[20..22].copy_from_slice(&u16b(items.len() as u16));
            let mut end = pagesize;
            for (i, it) in items.iter().enumerate() {
                let start = end - it.len();
                p[start..end].copy_from_slice(it);
                let at = PAGE_HEADER + 2 * i;
                p[at..at + 2].copy_from_slice(&u16b(start as u16));
                end = start;
            }
            p[22..24].copy_from_slice(&u16b(end as u16));
        }
        let last = pages.len() as u32 - 1;
        pages[0][32..36].copy_from_slice(&u32b(last));
        pages.concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_inline_and_overflow_both_orders() {
        let long: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
        let pairs: Vec<(Vec<u8>, Vec<u8>)> = (1..40u32)
            .map(|i| {
                let v = if i % 5 == 0 {
                    long.clone()
                } else {
                    format!("value {i}").into_bytes()
                };
                (i.to_le_bytes().to_vec(), v)
            })
            .collect();
        let refs: Vec<(&[u8], &[u8])> = pairs
            .iter()
            .map(|(k, v)| (k.as_slice(), v.as_slice()))
            .collect();
        for little in [true, false] {
            for pagesize in [512, 4096] {
                let db = build::hash_db(&refs, pagesize, little);
                assert!(is_hash_db(&db));
                let (got, w) = read_pairs(&db).unwrap();
                assert!(w.is_empty(), "{w:?}");
                let got: Vec<(Vec<u8>, Vec<u8>)> =
                    got.into_iter().map(|p| (p.key, p.value)).collect();
                assert_eq!(got, pairs, "pagesize {pagesize} little {little}");
            }
        }
    }

    #[test]
    fn damaged_files_are_errors_or_warnings() {
        let long = vec![7u8; 3000];
        let db = build::hash_db(&[(b"k1", &long), (b"k2", b"short")], 512, true);
        // not a database at all
        assert!(read_pairs(b"").is_err());
        assert!(read_pairs(&[0u8; 4096]).is_err());
        // a bad page size
        let mut bad = db.clone();
        bad[20..24].copy_from_slice(&1000u32.to_le_bytes());
        assert!(read_pairs(&bad).unwrap_err().contains("page size"));
        // an overflow chain that loops back on itself
        let mut looped = db.clone();
        let p2 = 2 * 512;
        looped[p2 + 16..p2 + 20].copy_from_slice(&2u32.to_le_bytes());
        let (pairs, w) = read_pairs(&looped).unwrap();
        assert_eq!(pairs.len(), 1);
        assert!(w[0].contains("used twice"), "{w:?}");
        // a chain pointing past the end
        let mut past = db.clone();
        past[p2 + 16..p2 + 20].copy_from_slice(&9999u32.to_le_bytes());
        let (_, w) = read_pairs(&past).unwrap();
        assert!(w[0].contains("not in the file"), "{w:?}");
        // every truncation and every single-byte change: an answer, never a panic
        for n in 0..db.len() {
            let _ = read_pairs(&db[..n]);
        }
        for at in (0..db.len()).step_by(3) {
            let mut d = db.clone();
            d[at] ^= 0xa5;
            let _ = read_pairs(&d);
        }
    }
}
