//! A minimal, bounds-checked ELF reader: section lookup by name and virtual-address reads.
//! Only what the Go and Rust binary catalogers need; never panics on malformed input.

/// A parsed ELF file borrowing its bytes.
pub(crate) struct Elf<'a> {
    data: &'a [u8],
    is64: bool,
    le: bool,
    sections: Vec<Section>,
    segments: Vec<Segment>,
    shstr: Option<(usize, usize)>,
}

#[derive(Clone, Copy)]
struct Section {
    name: u32,
    offset: u64,
    size: u64,
    kind: u32,
}

#[derive(Clone, Copy)]
struct Segment {
    offset: u64,
    vaddr: u64,
    filesz: u64,
}

const SHT_NOBITS: u32 = 8;
const PT_LOAD: u32 = 1;
const MAX_HEADERS: usize = 65_535;

impl<'a> Elf<'a> {
    /// Parses the headers; `None` when this is not a well-formed ELF file.
    pub(crate) fn parse(data: &'a [u8]) -> Option<Elf<'a>> {
        if data.len() < 52 || &data[..4] != b"\x7fELF" {
            return None;
        }
        let is64 = match data[4] {
            1 => false,
            2 => true,
            _ => return None,
        };
        let le = match data[5] {
            1 => true,
            2 => false,
            _ => return None,
        };
        let mut e = Elf {
            data,
            is64,
            le,
            sections: Vec::new(),
            segments: Vec::new(),
            shstr: None,
        };
        let (phoff, shoff, phentsize, phnum, shentsize, shnum, shstrndx) = if is64 {
            (
                e.u64(0x20)?,
                e.u64(0x28)?,
                e.u16(0x36)? as u64,
                e.u16(0x38)? as usize,
                e.u16(0x3A)? as u64,
                e.u16(0x3C)? as usize,
                e.u16(0x3E)? as usize,
            )
        } else {
            (
                e.u32(0x1C)? as u64,
                e.u32(0x20)? as u64,
                e.u16(0x2A)? as u64,
                e.u16(0x2C)? as usize,
                e.u16(0x2E)? as u64,
                e.u16(0x30)? as usize,
                e.u16(0x32)? as usize,
            )
        };
        for i in 0..phnum.min(MAX_HEADERS) {
            let base = phoff.checked_add(phentsize.checked_mul(i as u64)?)?;
            let base = usize::try_from(base).ok()?;
            let seg = if is64 {
                (
                    e.u32(base)?,
                    Segment {
                        offset: e.u64(base + 8)?,
                        vaddr: e.u64(base + 0x10)?,
                        filesz: e.u64(base + 0x20)?,
                    },
                )
            } else {
                (
                    e.u32(base)?,
                    Segment {
                        offset: e.u32(base + 4)? as u64,
                        vaddr: e.u32(base + 8)? as u64,
                        filesz: e.u32(base + 0x10)? as u64,
                    },
                )
            };
            if seg.0 == PT_LOAD {
                e.segments.push(seg.1);
            }
        }
        for i in 0..shnum.min(MAX_HEADERS) {
            let Some(base) = shoff
                .checked_add(shentsize.saturating_mul(i as u64))
                .and_then(|b| usize::try_from(b).ok())
            else {
                break;
            };
            let s = if is64 {
                Section {
                    name: e.u32(base)?,
                    kind: e.u32(base + 4)?,
                    offset: e.u64(base + 0x18)?,
                    size: e.u64(base + 0x20)?,
                }
            } else {
                Section {
                    name: e.u32(base)?,
                    kind: e.u32(base + 4)?,
                    offset: e.u32(base + 0x10)? as u64,
                    size: e.u32(base + 0x14)? as u64,
                }
            };
            e.sections.push(s);
        }
        if let Some(s) = e.sections.get(shstrndx) {
            let (o, z) = (
                usize::try_from(s.offset).ok()?,
                usize::try_from(s.size).ok()?,
            );
            if o.checked_add(z)? <= data.len() {
                e.shstr = Some((o, z));
            }
        }
        Some(e)
    }

    /// True for 8-byte pointers.
    pub(crate) fn is64(&self) -> bool {
        self.is64
    }

    /// True for little-endian.
    pub(crate) fn little_endian(&self) -> bool {
        self.le
    }

    /// The file bytes of the section called `name`.
    pub(crate) fn section(&self, name: &str) -> Option<&'a [u8]> {
        let (so, sz) = self.shstr?;
        let strtab = &self.data[so..so + sz];
        for s in &self.sections {
            let n = s.name as usize;
            if n >= strtab.len() {
                continue;
            }
            let rest = &strtab[n..];
            let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
            if &rest[..end] == name.as_bytes() && s.kind != SHT_NOBITS {
                let o = usize::try_from(s.offset).ok()?;
                let z = usize::try_from(s.size).ok()?;
                return self.data.get(o..o.checked_add(z)?);
            }
        }
        None
    }

    /// Reads `len` bytes at virtual address `addr` (through the PT_LOAD segments).
    pub(crate) fn read_vaddr(&self, addr: u64, len: u64) -> Option<&'a [u8]> {
        for s in &self.segments {
            if addr >= s.vaddr && addr.checked_add(len)? <= s.vaddr.checked_add(s.filesz)? {
                let off = usize::try_from(s.offset.checked_add(addr - s.vaddr)?).ok()?;
                let len = usize::try_from(len).ok()?;
                return self.data.get(off..off.checked_add(len)?);
            }
        }
        None
    }

    /// Reads a pointer-sized unsigned integer from `b` in this file's byte order.
    pub(crate) fn read_ptr(&self, b: &[u8]) -> Option<u64> {
        if self.is64 {
            let a: [u8; 8] = b.get(..8)?.try_into().ok()?;
            Some(if self.le {
                u64::from_le_bytes(a)
            } else {
                u64::from_be_bytes(a)
            })
        } else {
            let a: [u8; 4] = b.get(..4)?.try_into().ok()?;
            Some(if self.le {
                u32::from_le_bytes(a)
            } else {
                u32::from_be_bytes(a)
            } as u64)
        }
    }

    fn u16(&self, at: usize) -> Option<u16> {
        let a: [u8; 2] = self.data.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if self.le {
            u16::from_le_bytes(a)
        } else {
            u16::from_be_bytes(a)
        })
    }

    fn u32(&self, at: usize) -> Option<u32> {
        let a: [u8; 4] = self.data.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    }

    fn u64(&self, at: usize) -> Option<u64> {
        let a: [u8; 8] = self.data.get(at..at.checked_add(8)?)?.try_into().ok()?;
        Some(if self.le {
            u64::from_le_bytes(a)
        } else {
            u64::from_be_bytes(a)
        })
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    /// Builds a tiny little-endian ELF64 file with the given sections (name, content) and one
    /// PT_LOAD segment mapping the whole file at `vaddr`.
    pub(crate) fn build_elf(sections: &[(&str, &[u8])], vaddr: u64) -> Vec<u8> {
        let mut f = vec![0u8; 64];
        f[..4].copy_from_slice(b"\x7fELF");
        f[4] = 2;
        f[5] = 1;
        f[6] = 1;
        // program header at 64
        let phoff = f.len() as u64;
        let mut ph = vec![0u8; 56];
        ph[..4].copy_from_slice(&1u32.to_le_bytes());
        f.extend_from_slice(&ph);
        let mut offsets = Vec::new();
        for (_, data) in sections {
            while !f.len().is_multiple_of(16) {
                f.push(0);
            }
            offsets.push(f.len() as u64);
            f.extend_from_slice(data);
        }
        let mut strtab = vec![0u8];
        let mut name_off = Vec::new();
        for (n, _) in sections {
            name_off.push(strtab.len() as u32);
            strtab.extend_from_slice(n.as_bytes());
            strtab.push(0);
        }
        let shstr_name = strtab.len() as u32;
        strtab.extend_from_slice(b".shstrtab\0");
        let strtab_off = f.len() as u64;
        f.extend_from_slice(&strtab);
        while !f.len().is_multiple_of(8) {
            f.push(0);
        }
        let shoff = f.len() as u64;
        f.extend_from_slice(&[0u8; 64]); // null section
        for (i, (_, data)) in sections.iter().enumerate() {
            let mut sh = vec![0u8; 64];
            sh[..4].copy_from_slice(&name_off[i].to_le_bytes());
            sh[4..8].copy_from_slice(&1u32.to_le_bytes());
            sh[0x10..0x18].copy_from_slice(&(vaddr + offsets[i]).to_le_bytes());
            sh[0x18..0x20].copy_from_slice(&offsets[i].to_le_bytes());
            sh[0x20..0x28].copy_from_slice(&(data.len() as u64).to_le_bytes());
            f.extend_from_slice(&sh);
        }
        let mut sh = vec![0u8; 64];
        sh[..4].copy_from_slice(&shstr_name.to_le_bytes());
        sh[4..8].copy_from_slice(&3u32.to_le_bytes());
        sh[0x18..0x20].copy_from_slice(&strtab_off.to_le_bytes());
        sh[0x20..0x28].copy_from_slice(&(strtab.len() as u64).to_le_bytes());
        f.extend_from_slice(&sh);
        let total = f.len() as u64;
        let nsec = sections.len() as u16 + 2;
        f[0x20..0x28].copy_from_slice(&phoff.to_le_bytes());
        f[0x28..0x30].copy_from_slice(&shoff.to_le_bytes());
        f[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        f[0x38..0x3A].copy_from_slice(&1u16.to_le_bytes());
        f[0x3A..0x3C].copy_from_slice(&64u16.to_le_bytes());
        f[0x3C..0x3E].copy_from_slice(&nsec.to_le_bytes());
        f[0x3E..0x40].copy_from_slice(&(nsec - 1).to_le_bytes());
        let p = phoff as usize;
        f[p + 0x10..p + 0x18].copy_from_slice(&vaddr.to_le_bytes());
        f[p + 0x20..p + 0x28].copy_from_slice(&total.to_le_bytes());
        f
    }
}
