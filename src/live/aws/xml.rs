//! AWS's XML answers as a small tree (element names without namespace prefix, their text and
//! children), read with the tokenizer already in drift's build. Bounded: an answer nests at
//! most `MAX_DEPTH` elements deep; anything malformed is an error naming the position, never
//! a panic. Knows no API: the readers ask the tree for the paths they know.

use std::borrow::Cow;

const MAX_DEPTH: usize = 64;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub text: String,
    pub children: Vec<Node>,
}

impl Node {
    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child named `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The node at a `/`-separated path of child names.
    pub fn at(&self, path: &str) -> Option<&Node> {
        path.split('/').try_fold(self, |n, part| n.child(part))
    }

    /// The text at `path`, trimmed; `None` when absent.
    pub fn text_at(&self, path: &str) -> Option<String> {
        self.at(path).map(|n| n.text.trim().to_string())
    }
}

/// Parses a whole document into its root element.
pub fn parse(text: &str) -> Result<Node, String> {
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    for token in xmlparser::Tokenizer::from(text) {
        let token = token.map_err(|e| format!("the answer is not XML: {e}"))?;
        match token {
            xmlparser::Token::ElementStart { local, .. } => {
                if stack.len() >= MAX_DEPTH {
                    return Err(format!("the answer nests deeper than {MAX_DEPTH} elements"));
                }
                stack.push(Node {
                    name: local.as_str().to_string(),
                    ..Node::default()
                });
            }
            xmlparser::Token::ElementEnd { end, .. } => match end {
                xmlparser::ElementEnd::Open => {}
                xmlparser::ElementEnd::Close(..) | xmlparser::ElementEnd::Empty => {
                    let node = stack
                        .pop()
                        .ok_or("the answer closes an element it never opened")?;
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(node),
                        None if root.is_none() => root = Some(node),
                        None => return Err("the answer has two root elements".into()),
                    }
                }
            },
            xmlparser::Token::Text { text } => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&unescape(text.as_str())?);
                }
            }
            xmlparser::Token::Cdata { text, .. } => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(text.as_str());
                }
            }
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err("the answer ends inside an element".into());
    }
    root.ok_or_else(|| "the answer has no XML element".into())
}

/// XML's five entities and character references.
fn unescape(s: &str) -> Result<Cow<'_, str>, String> {
    if !s.contains('&') {
        return Ok(Cow::Borrowed(s));
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 1..];
        let end = tail
            .find(';')
            .ok_or("an unterminated entity in the answer")?;
        let entity = &tail[..end];
        let ch = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = match entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => entity.strip_prefix('#').and_then(|d| d.parse().ok()),
                };
                code.and_then(char::from_u32)
                    .ok_or_else(|| format!("an unknown entity `&{entity};` in the answer"))?
            }
        };
        out.push(ch);
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_reads_as_a_tree_with_entities_decoded() {
        let doc = r#"<?xml version="1.0" encoding="UTF-8"?>
<DistributionList xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">
  <IsTruncated>false</IsTruncated>
  <Items><DistributionSummary><Id>E1</Id><Comment>a &amp; b &#x41;&#66;</Comment>
  <Aliases><Quantity>0</Quantity></Aliases><Empty/></DistributionSummary></Items>
</DistributionList>"#;
        let root = parse(doc).expect("parses");
        assert_eq!(root.name, "DistributionList");
        let d = root.at("Items/DistributionSummary").expect("summary");
        assert_eq!(d.text_at("Id").as_deref(), Some("E1"));
        assert_eq!(d.text_at("Comment").as_deref(), Some("a & b AB"));
        assert_eq!(d.text_at("Empty").as_deref(), Some(""));
        assert_eq!(root.text_at("IsTruncated").as_deref(), Some("false"));
    }

    #[test]
    fn malformed_and_hostile_answers_are_errors() {
        assert!(parse("<a><b></a>").is_err());
        assert!(parse("<a>").is_err());
        assert!(parse("").is_err());
        assert!(parse("<a>&bogus;</a>").is_err());
        assert!(parse("<a/><b/>").is_err());
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert!(parse(&deep).unwrap_err().contains("deeper"));
    }
}
