//! The window manager's close button — a `WM_DELETE_WINDOW` message to a window found by its title,
//! as a window manager sends when the learner clicks ✕. Xvfb runs no window manager, and
//! WebDriver's "close window" asks the page first (a page stuck in a loop never answers), so the
//! tests send the message themselves: `xdotool` finds the window, a few lines of Python call
//! libX11's `XSendEvent` (through ctypes, so no extra package is needed). Keys pressed in a window
//! ([`press_key_in_window_titled`]) go the same way a keyboard's do.

use std::process::Command;

use crate::Display;
use crate::file_dialog::xdotool;

const SEND_DELETE: &str = r#"
import ctypes, sys
from ctypes import byref, c_char_p, c_int, c_long, c_ulong, c_void_p, POINTER, Structure, Union
x = ctypes.cdll.LoadLibrary("libX11.so.6")
x.XOpenDisplay.restype = c_void_p
x.XOpenDisplay.argtypes = [c_char_p]
x.XInternAtom.restype = c_ulong
x.XInternAtom.argtypes = [c_void_p, c_char_p, c_int]
class ClientMessage(Structure):
    _fields_ = [("type", c_int), ("serial", c_ulong), ("send_event", c_int), ("display", c_void_p),
                ("window", c_ulong), ("message_type", c_ulong), ("format", c_int), ("data", c_long * 5)]
class Event(Union):
    _fields_ = [("xclient", ClientMessage), ("pad", c_long * 24)]
x.XSendEvent.argtypes = [c_void_p, c_ulong, c_int, c_long, POINTER(Event)]
x.XFlush.argtypes = [c_void_p]
x.XCloseDisplay.argtypes = [c_void_p]
display = x.XOpenDisplay(sys.argv[1].encode())
if not display:
    sys.exit("cannot open display " + sys.argv[1])
for window in map(int, sys.argv[2:]):
    event = Event()
    event.xclient.type = 33  # ClientMessage
    event.xclient.window = window
    event.xclient.message_type = x.XInternAtom(display, b"WM_PROTOCOLS", 0)
    event.xclient.format = 32
    event.xclient.data[0] = x.XInternAtom(display, b"WM_DELETE_WINDOW", 0)
    if not x.XSendEvent(display, window, 0, 0, byref(event)):
        sys.exit("XSendEvent failed")
x.XFlush(display)
x.XCloseDisplay(display)
"#;

/// Asks every visible window titled `title` to close, as a window manager's close button does.
pub fn close_window_titled(display: &Display, title: &str) -> anyhow::Result<()> {
    let found = xdotool(display, &["search", "--onlyvisible", "--name", title])?;
    let windows: Vec<&str> = found.lines().filter(|id| !id.is_empty()).collect();
    if windows.is_empty() {
        anyhow::bail!("no window titled {title:?} to close");
    }
    let status = Command::new("python3")
        .arg("-c")
        .arg(SEND_DELETE)
        .arg(display.name())
        .args(&windows)
        .status()
        .map_err(|error| anyhow::anyhow!("python3 cannot run ({error}); install python3"))?;
    if !status.success() {
        anyhow::bail!("sending WM_DELETE_WINDOW to {windows:?} failed: {status}");
    }
    Ok(())
}

/// Presses `key` (an xdotool key name such as `Return`) in the visible window titled `title`, as
/// the learner does on the keyboard: the window gets the focus, then the key goes to it. No
/// WebDriver command is involved, so it also answers a dialog WebKit runs modally itself.
pub fn press_key_in_window_titled(display: &Display, title: &str, key: &str) -> anyhow::Result<()> {
    let found = xdotool(display, &["search", "--onlyvisible", "--name", title])?;
    let Some(window) = found.lines().find(|id| !id.is_empty()) else {
        anyhow::bail!("no window titled {title:?}");
    };
    xdotool(display, &["windowfocus", "--sync", window, "key", key])?;
    Ok(())
}
