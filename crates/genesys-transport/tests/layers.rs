//! The crate's modules form layers: each module uses only modules declared
//! before it in `lib.rs`, so a reader can start at the leaves and read
//! upward. This test reads the sources and fails on an arrow that points
//! back (a `crate::module` path, in code outside a test module, naming a
//! module declared later or the module itself).

use std::path::Path;

/// The `mod name;` declarations of `lib.rs`, in order.
fn declared_modules(lib: &str) -> Vec<String> {
    lib.lines()
        .filter_map(|line| line.trim().strip_prefix("mod "))
        .filter_map(|rest| rest.strip_suffix(';'))
        .map(str::to_owned)
        .collect()
}

/// The crate modules a source file names as `crate::<module>` in code,
/// leaving out comments and everything from the test module on.
fn used_modules(source: &str, modules: &[String]) -> Vec<String> {
    let mut used = Vec::new();
    for line in source.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") || trimmed.starts_with("#[cfg(all(test") {
            break;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            let is_module =
                rest[name.len()..].starts_with("::") || rest[name.len()..].starts_with(';');
            if is_module && modules.contains(&name) && !used.contains(&name) {
                used.push(name);
            }
        }
    }
    used
}

#[test]
fn modules_only_use_modules_declared_before_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("read lib.rs");
    let modules = declared_modules(&lib);
    assert!(modules.len() >= 10, "found the module list: {modules:?}");
    let mut backwards = Vec::new();
    for (position, module) in modules.iter().enumerate() {
        let source = std::fs::read_to_string(src.join(format!("{module}.rs")))
            .unwrap_or_else(|e| panic!("read {module}.rs: {e}"));
        for used in used_modules(&source, &modules) {
            let used_position = modules.iter().position(|m| *m == used).unwrap();
            if used_position >= position {
                backwards.push(format!("{module} uses {used}, declared at or after it"));
            }
        }
    }
    assert!(
        backwards.is_empty(),
        "arrows pointing back:\n{}",
        backwards.join("\n")
    );
}

#[test]
fn a_backward_arrow_is_found() {
    let modules: Vec<String> = ["error", "transport"].map(String::from).to_vec();
    let source = "use crate::transport::X;\n// crate::error::Y in a comment\n#[cfg(test)]\nuse crate::error::Z;\n";
    assert_eq!(used_modules(source, &modules), ["transport"]);
}
