//! Many roots and accounts: discovering the Terraform roots a config's patterns reach
//! (`roots`), dealing them to shards (`shard`), and merging the shards' reports into one
//! (`merge`). Knows nothing of what the roots declare.

pub mod merge;
pub mod roots;
pub mod shard;
