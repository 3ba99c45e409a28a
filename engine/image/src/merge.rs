//! The merged view of the container's `C:\`: layers applied from the base
//! up, whiteouts removing what lower layers wrote, hard links resolved to
//! the content they point at.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::layer::{Kind, LayerSummary};

/// A hard link whose target is not in the merged view when the link's layer
/// applies (trimmed images have these). Recorded, not fatal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokenLink {
    /// Digest of the layer holding the link.
    pub layer: String,
    /// The link, relative to `C:\`.
    pub path: String,
    /// The target as the tar names it.
    pub target: String,
}

#[derive(Debug, Clone)]
enum Node {
    File { size: u64, sha256: String },
    Dir,
    Symlink,
}

#[derive(Debug, Clone)]
struct Slot {
    display: String,
    node: Node,
    layer: usize,
}

fn key(path: &str) -> String {
    path.to_lowercase()
}

fn remove_below(map: &mut BTreeMap<String, Slot>, dir_key: &str) {
    let prefix = format!("{dir_key}/");
    let doomed: Vec<String> = map
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(k, _)| k.clone())
        .collect();
    for k in doomed {
        map.remove(&k);
    }
}

/// Merges layer summaries, base first. `layers` pairs each layer's digest
/// with its summary; skipped layers are simply absent.
pub(crate) fn merge(
    layers: &[(&str, &LayerSummary)],
) -> (Vec<winspect_inventory::File>, Vec<BrokenLink>) {
    let mut map: BTreeMap<String, Slot> = BTreeMap::new();
    let mut broken = Vec::new();
    for (index, (digest, summary)) in layers.iter().enumerate() {
        // Whiteouts hide what lower layers wrote, never this layer's own entries.
        for entry in &summary.entries {
            match entry.kind {
                Kind::Whiteout => {
                    let k = key(&entry.path);
                    map.remove(&k);
                    remove_below(&mut map, &k);
                }
                Kind::Opaque => remove_below(&mut map, &key(&entry.path)),
                _ => {}
            }
        }
        for entry in &summary.entries {
            let k = key(&entry.path);
            let node = match &entry.kind {
                Kind::Whiteout | Kind::Opaque => continue,
                Kind::File { size, sha256 } => Node::File {
                    size: *size,
                    sha256: sha256.clone(),
                },
                Kind::Dir => {
                    if matches!(
                        map.get(&k),
                        Some(Slot {
                            node: Node::Dir,
                            ..
                        })
                    ) {
                        continue;
                    }
                    Node::Dir
                }
                Kind::Symlink { .. } => Node::Symlink,
                Kind::HardLink { target, raw_target } => {
                    let resolved = target.as_deref().and_then(|t| match map.get(&key(t)) {
                        Some(Slot {
                            node: Node::File { size, sha256 },
                            ..
                        }) => Some(Node::File {
                            size: *size,
                            sha256: sha256.clone(),
                        }),
                        _ => None,
                    });
                    match resolved {
                        Some(node) => node,
                        None => {
                            broken.push(BrokenLink {
                                layer: (*digest).to_owned(),
                                path: entry.path.clone(),
                                target: raw_target.clone(),
                            });
                            continue;
                        }
                    }
                }
            };
            // A file or link replacing a directory hides what was below it.
            if !matches!(node, Node::Dir)
                && matches!(
                    map.get(&k),
                    Some(Slot {
                        node: Node::Dir,
                        ..
                    })
                )
            {
                remove_below(&mut map, &k);
            }
            map.insert(
                k,
                Slot {
                    display: entry.path.clone(),
                    node,
                    layer: index,
                },
            );
        }
    }
    let files = map
        .into_values()
        .filter_map(|slot| match slot.node {
            Node::File { size, sha256 } => Some(winspect_inventory::File {
                path: slot.display,
                size,
                sha256,
                layer: layers.get(slot.layer).map(|(d, _)| (*d).to_owned()),
                ..winspect_inventory::File::default()
            }),
            Node::Dir | Node::Symlink => None,
        })
        .collect();
    (files, broken)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::Entry;

    fn file(path: &str, sha: &str) -> Entry {
        Entry {
            path: path.into(),
            kind: Kind::File {
                size: sha.len() as u64,
                sha256: sha.into(),
            },
        }
    }

    fn layer(entries: Vec<Entry>) -> LayerSummary {
        LayerSummary {
            entries,
            ..LayerSummary::default()
        }
    }

    fn link(path: &str, target: &str) -> Entry {
        Entry {
            path: path.into(),
            kind: Kind::HardLink {
                target: Some(target.into()),
                raw_target: format!("Files/{target}"),
            },
        }
    }

    #[test]
    fn upper_layers_win_whiteouts_remove_and_links_resolve() {
        let base = layer(vec![
            file("Windows/System32/a.dll", "aa"),
            file("Windows/Temp/x.log", "xx"),
            file("app/keep.txt", "kk"),
            file("app/old/one.txt", "11"),
            file("data/f.txt", "ff"),
        ]);
        let top = layer(vec![
            file("WINDOWS/system32/A.DLL", "a2"),
            Entry {
                path: "Windows/Temp".into(),
                kind: Kind::Whiteout,
            },
            Entry {
                path: "app".into(),
                kind: Kind::Opaque,
            },
            file("app/new.txt", "nn"),
            link("linked.dll", "windows/system32/a.dll"),
            link("gone.dll", "Windows/nothere.dll"),
            link("data/copy.txt", "app/keep.txt"),
        ]);
        let (files, broken) = merge(&[("sha256:base", &base), ("sha256:top", &top)]);
        let listed: Vec<(&str, &str, &str)> = files
            .iter()
            .map(|f| {
                (
                    f.path.as_str(),
                    f.sha256.as_str(),
                    f.layer.as_deref().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            listed,
            vec![
                ("app/new.txt", "nn", "sha256:top"),
                ("data/f.txt", "ff", "sha256:base"),
                ("linked.dll", "a2", "sha256:top"),
                ("WINDOWS/system32/A.DLL", "a2", "sha256:top"),
            ]
        );
        // The opaque dir hid app/keep.txt before the link to it was made.
        assert_eq!(broken.len(), 2);
        assert_eq!(broken[0].path, "gone.dll");
        assert_eq!(broken[1].target, "Files/app/keep.txt");
    }
}
