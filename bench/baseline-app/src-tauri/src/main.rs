// No console window on Windows release builds, like Carrel.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    baseline_lib::run();
}
