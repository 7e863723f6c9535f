// A real S3-compatible object store for Carrel's server tests: s3rver (the maintained fork
// @20minutes/s3rver, which verifies AWS Signature V4 on headers and presigned URLs and answers
// 403 SignatureDoesNotMatch otherwise; installed here by `npm ci --prefix tests/s3`), keeping its buckets as files under the directory it is given,
// listening on 127.0.0.1 only, on a port the OS chooses. Test peer only; never shipped.
//
//   node tests/s3/serve.js <directory>
//
// S3_BUCKET names the bucket it creates at start (`carrel` unless set). Once it listens it prints
// exactly one line of JSON to stdout, e.g.
//   {"port":40123,"bucket":"carrel","accessKeyId":"S3RVER","secretAccessKey":"S3RVER","region":"us-east-1"}
// and nothing else there (errors go to stderr, with exit code 1). Buckets are path-style:
// http://127.0.0.1:<port>/<bucket>/<key>.
//
// It exits when its stdin closes, so that a parent that dies takes it down (spawn it with a
// piped stdin and keep the pipe open; started with stdin from /dev/null it exits at once), and on
// SIGTERM or SIGINT. The directory is left as it is: the parent owns it.
"use strict";
const path = require("path");
const S3rver = require("@20minutes/s3rver");

// s3rver's built-in account (lib/models/account.js): the only key pair it knows.
const ACCESS_KEY_ID = "S3RVER";
const SECRET_ACCESS_KEY = "S3RVER";
// The region clients sign with (it is part of the signature's scope).
const REGION = "us-east-1";

function fail(message) {
  process.stderr.write(`tests/s3/serve.js: ${message}\n`);
  process.exit(1);
}

const args = process.argv.slice(2);
if (args.length !== 1 || args[0] === "") {
  fail("usage: node tests/s3/serve.js <directory>");
}
const directory = path.resolve(args[0]);
const bucket = process.env.S3_BUCKET || "carrel";

const server = new S3rver({
  port: 0,
  address: "127.0.0.1",
  silent: true,
  directory,
  // Path-style buckets only, whatever Host the client sends.
  vhostBuckets: false,
  configureBuckets: [{ name: bucket }],
});

let exiting = false;
function exit(code) {
  if (exiting) return;
  exiting = true;
  process.exit(code);
}

process.on("SIGTERM", () => exit(0));
process.on("SIGINT", () => exit(0));
process.stdin.on("end", () => exit(0));
process.stdin.on("close", () => exit(0));
process.stdin.on("error", () => exit(0));
process.stdin.resume();

server.run().then(
  (address) => {
    process.stdout.write(
      JSON.stringify({
        port: address.port,
        bucket,
        accessKeyId: ACCESS_KEY_ID,
        secretAccessKey: SECRET_ACCESS_KEY,
        region: REGION,
      }) + "\n",
    );
  },
  (err) => fail(`cannot start s3rver: ${(err && err.stack) || err}`),
);
