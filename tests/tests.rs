//! Integration tests: the real `drift` binary run in a temp dir, outputs pinned with insta.

mod support;

mod errors;
mod example;
mod scenarios;
