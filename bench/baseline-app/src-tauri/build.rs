//! Compiles the baseline's one capability. Cargo runs build scripts with the package root
//! (this directory) as the working directory, so the glob is relative to it.
fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    tauri_build::try_build(
        tauri_build::Attributes::new().capabilities_path_pattern("./src-tauri/capabilities/**/*"),
    )
    .expect("tauri build step");
}
