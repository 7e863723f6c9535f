//! Webinar recordings: published with the real `carrel-server recording` command, announced in
//! the course's changes feed, served whole and by range to those who may see the course and to
//! nobody else; a file that is not a recording, or an item that is not a webinar, is refused with
//! nothing stored.

use carrel_protocol::auth::Role;
use carrel_protocol::changes::{CHANGES_PATH, ChangeBody, ChangesPage, RecordingNotice};
use reqwest::Method;

use crate::support::{Class, carrel_server, sha256_hex};

/// Runs `carrel-server recording …` against the class's server; its status and output.
fn publish(class: &Class, args: &[&str]) -> (bool, String, String) {
    let output = carrel_server()
        .arg("recording")
        .args(args)
        .arg("--db")
        .arg(class.fx.server.db())
        .arg("--data-dir")
        .arg(class.fx.server.data().root())
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).trim().to_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_recording_is_announced_and_served_by_range_to_the_course_only() {
    let class = Class::start().await;
    let course = carrel_package::testing::SAMPLE_COURSE_ID;
    class
        .fx
        .server
        .enrol("ana", course, Role::Learner, None)
        .await
        .unwrap();
    // For enrolled learners only: a recording is seen by those who may see its course.
    class.publish_sample(false).await;

    let bytes: Vec<u8> = (0..200_000u32).map(|n| (n % 251) as u8).collect();
    let file = class.fx.dir.path().join("live-1.mp4");
    std::fs::write(&file, &bytes).unwrap();
    let text = class.fx.dir.path().join("notes.txt");
    std::fs::write(&text, b"not a recording").unwrap();

    let file_arg = file.to_str().unwrap();
    for (args, says) in [
        (
            vec![course, "live", "live-1", text.to_str().unwrap()],
            "not a recording Carrel plays",
        ),
        (vec![course, "essay", "live-1", file_arg], "not a webinar"),
        (
            vec!["no-such-course", "live", "live-1", file_arg],
            "not a webinar",
        ),
    ] {
        let (ok, _, stderr) = publish(&class, &args);
        assert!(!ok, "{args:?} must be refused");
        assert!(stderr.contains(says), "{stderr}");
    }
    assert_eq!(
        class.count("recordings").await,
        0,
        "nothing refused is stored"
    );

    let (ok, sha256, stderr) = publish(&class, &[course, "live", "live-1", file_arg]);
    assert!(ok, "{stderr}");
    assert_eq!(sha256, sha256_hex(&bytes));

    let page: ChangesPage = class.get_json(CHANGES_PATH, &class.ana).await;
    let recordings: Vec<RecordingNotice> = page
        .changes
        .into_iter()
        .filter_map(|change| match change.body {
            ChangeBody::Recording(notice) => Some(notice),
            _ => None,
        })
        .collect();
    let expected_url = carrel_protocol::changes::recording_url(course, &sha256);
    assert_eq!(
        recordings,
        [RecordingNotice {
            course_id: course.into(),
            item_id: "live".into(),
            session_id: "live-1".into(),
            sha256: sha256.clone(),
            size: bytes.len() as u64,
            media_type: "video/mp4".into(),
            url: expected_url.clone(),
        }]
    );

    let whole = class
        .send(Method::GET, &expected_url, Some(&class.ana), None)
        .await;
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["content-type"], "video/mp4");
    assert_eq!(whole.bytes().await.unwrap().as_ref(), bytes.as_slice());

    let part = class
        .fx
        .client
        .get(class.fx.url(&expected_url))
        .bearer_auth(&class.ana)
        .header("Range", "bytes=150000-")
        .header("If-Range", format!("\"{sha256}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206, "a cut download resumes");
    assert_eq!(part.bytes().await.unwrap().as_ref(), &bytes[150_000..]);

    for (token, who) in [
        (Some(class.ben.as_str()), "Ben, not in the course"),
        (None, "no one"),
    ] {
        let response = class.send(Method::GET, &expected_url, token, None).await;
        assert_eq!(response.status(), 404, "{who} gets nothing");
    }
    let other = carrel_protocol::changes::recording_url(course, &"0".repeat(64));
    let response = class
        .send(Method::GET, &other, Some(&class.ana), None)
        .await;
    assert_eq!(response.status(), 404, "an unknown recording");
}
