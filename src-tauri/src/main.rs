//! The Carrel desktop app's entry point; everything else is in the `carrel_app` library.

// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    carrel_app::run();
}
