//! Many roots and accounts: discovering the Terraform roots a config's patterns reach
//! (`roots`). Knows nothing of what the roots declare.

pub mod roots;
