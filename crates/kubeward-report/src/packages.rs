//! The package table of `kubeward sbom --format table`: one row per package (name, version,
//! type, first location; OS-owned language packages marked), sorted by name, then a line
//! with the package count, the distribution and the count per ecosystem.

use crate::table::columns;
use kubeward_image::catalog::Catalog;

/// The table, cells terminal-escaped (the caller escapes the whole text once more as
/// multi-line output).
pub fn table(c: &Catalog) -> String {
    let mut pkgs: Vec<_> = c.packages.iter().collect();
    pkgs.sort_by(|a, b| {
        (a.name.to_lowercase(), a.sort_key()).cmp(&(b.name.to_lowercase(), b.sort_key()))
    });
    let rows: Vec<Vec<String>> = pkgs
        .iter()
        .map(|p| {
            let mut loc = p.locations.first().cloned().unwrap_or_default();
            if p.owned_by_os_package {
                loc.push_str(" (owned by an OS package)");
            }
            vec![
                p.name.clone(),
                p.version.clone(),
                p.ecosystem.to_string(),
                loc,
            ]
        })
        .collect();
    let mut s = columns(&["NAME", "VERSION", "TYPE", "LOCATION"], &rows);
    let counts: Vec<String> = kubeward_image::catalog::counts(c)
        .iter()
        .map(|(e, n)| format!("{e} {n}"))
        .collect();
    let distro = c
        .distro
        .as_ref()
        .map(|d| format!(" on {}", d.qualifier()))
        .unwrap_or_default();
    s.push_str(&format!(
        "\n{} packages{distro}{}\n",
        c.packages.len(),
        if counts.is_empty() {
            String::new()
        } else {
            format!(" ({})", counts.join(", "))
        }
    ));
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_empty_catalog_is_a_header_and_a_count() {
        let c = kubeward_image::catalog::Catalog::default();
        assert_eq!(
            super::table(&c),
            "NAME  VERSION  TYPE  LOCATION\n\n0 packages\n"
        );
    }
}
