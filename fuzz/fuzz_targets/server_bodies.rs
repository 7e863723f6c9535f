//! Every JSON body carrel-server accepts (its `JsonBody<T>` extractors), deserialised from arbitrary
//! bytes: refusing is fine, panicking is not. What deserialises must serialise and read back.
#![no_main]

use carrel_protocol::auth::{Refresh, SignIn};
use carrel_protocol::submissions::SubmissionUpload;
use carrel_protocol::tutor::{CommentInput, GradeInput};
use carrel_protocol::uploads::NewUpload;
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn round_trip<T: DeserializeOwned + Serialize>(data: &[u8]) {
    if let Ok(value) = serde_json::from_slice::<T>(data) {
        let bytes = serde_json::to_vec(&value).expect("an accepted body serialises");
        // Equality is not asserted: floats need not round-trip bit for bit through JSON.
        let _: T = serde_json::from_slice(&bytes).expect("a serialised body reads back");
    }
}

fuzz_target!(|data: &[u8]| {
    round_trip::<SignIn>(data);
    round_trip::<Refresh>(data);
    round_trip::<SubmissionUpload>(data);
    round_trip::<NewUpload>(data);
    round_trip::<GradeInput>(data);
    round_trip::<CommentInput>(data);
});
