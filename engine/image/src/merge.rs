//! The merged view of the container's `C:\`: layers applied from the base
//! up, whiteouts removing what lower layers wrote, hard links resolved to
//! the content they point at.

use std::collections::{BTreeMap, btree_map};
use std::ops::{Bound, Range};

use serde::{Deserialize, Serialize};

use crate::layer::{Entry, Kind};

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

#[derive(Debug, Clone, Copy)]
enum Node {
    /// A file, or a hard link to one: the content is that of the file entry
    /// `at` (a link's target).
    File {
        at: At,
    },
    Dir,
    Symlink,
}

/// An entry: its layer's index, and its index in that layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct At {
    layer: u32,
    entry: u32,
}

/// What the view holds at a path, and the entry that put it there (whose
/// path, in its original case, is shown). Small, as the final pass visits
/// the slots in path order, not in the order they were filled.
#[derive(Debug)]
struct Slot {
    node: Node,
    at: At,
}

/// The view being built: case-folded path to the slot that holds what is
/// there. The keys are borrowed from one buffer of all folded paths, and
/// the slots live apart from the map, so that the B-tree moves small values
/// and no key is allocated on its own.
struct View<'a> {
    map: BTreeMap<&'a str, usize>,
    slots: Vec<Option<Slot>>,
}

impl<'a> View<'a> {
    fn get(&self, key: &str) -> Option<&Slot> {
        self.map.get(key).and_then(|&i| self.slots.get(i)?.as_ref())
    }

    fn is_dir(&self, key: &str) -> bool {
        matches!(
            self.get(key),
            Some(Slot {
                node: Node::Dir,
                ..
            })
        )
    }

    fn remove(&mut self, key: &str) {
        if let Some(i) = self.map.remove(key)
            && let Some(slot) = self.slots.get_mut(i)
        {
            *slot = None;
        }
    }

    fn remove_below(&mut self, dir_key: &str) {
        let prefix = format!("{dir_key}/");
        let doomed: Vec<&'a str> = self
            .map
            .range::<str, _>((Bound::Included(prefix.as_str()), Bound::Unbounded))
            .map(|(k, _)| *k)
            .take_while(|k| k.starts_with(&prefix))
            .collect();
        for k in doomed {
            self.remove(k);
        }
    }

    fn insert(&mut self, key: &'a str, slot: Slot) {
        match self.map.entry(key) {
            btree_map::Entry::Vacant(vacant) => {
                vacant.insert(self.slots.len());
                self.slots.push(Some(slot));
            }
            btree_map::Entry::Occupied(occupied) => {
                let Some(old) = self.slots.get_mut(*occupied.get()) else {
                    return;
                };
                // A file or link replacing a directory hides what was below it.
                let hides_dir = !matches!(slot.node, Node::Dir)
                    && matches!(
                        old,
                        Some(Slot {
                            node: Node::Dir,
                            ..
                        })
                    );
                *old = Some(slot);
                if hides_dir {
                    self.remove_below(key);
                }
            }
        }
    }
}

/// Appends the case-folded form of `path` (the form paths are compared by)
/// to `folded` and returns where it lies. Windows paths are mostly ASCII,
/// whose folding needs no Unicode tables.
fn fold_into(folded: &mut String, path: &str) -> Range<usize> {
    let start = folded.len();
    if path.is_ascii() {
        folded.push_str(path);
        if let Some(appended) = folded.get_mut(start..) {
            appended.make_ascii_lowercase();
        }
    } else {
        folded.push_str(&path.to_lowercase());
    }
    start..folded.len()
}

/// Merges layer summaries, base first, taking their entries. `layers` pairs
/// each layer's digest with its entries; skipped layers are simply absent.
pub(crate) fn merge(
    mut layers: Vec<(&str, Vec<Entry>)>,
) -> (Vec<winspect_inventory::File>, Vec<BrokenLink>) {
    // Every path, and every link's target, folded once: per entry, where
    // its key and its target's key lie (an empty span when it has none).
    let total: usize = layers
        .iter()
        .flat_map(|(_, entries)| entries)
        .map(|entry| entry.path.len())
        .sum();
    let mut folded = String::with_capacity(total);
    let mut spans: Vec<(Range<usize>, Range<usize>)> =
        Vec::with_capacity(layers.iter().map(|(_, entries)| entries.len()).sum());
    for entry in layers.iter().flat_map(|(_, entries)| entries) {
        let key = fold_into(&mut folded, &entry.path);
        let target = match &entry.kind {
            Kind::HardLink {
                target: Some(target),
                ..
            } => fold_into(&mut folded, target),
            _ => 0..0,
        };
        spans.push((key, target));
    }
    let key = |span: &Range<usize>| folded.get(span.clone()).unwrap_or_default();
    let mut view = View {
        map: BTreeMap::new(),
        slots: Vec::new(),
    };
    let mut broken = Vec::new();
    let mut rest = spans.as_slice();
    for (layer, (digest, entries)) in (0u32..).zip(&layers) {
        let (layer_spans, tail) = rest.split_at_checked(entries.len()).unwrap_or((rest, &[]));
        rest = tail;
        // Whiteouts hide what lower layers wrote, never this layer's own entries.
        for (entry, (path, _)) in entries.iter().zip(layer_spans) {
            match entry.kind {
                Kind::Whiteout => {
                    view.remove(key(path));
                    view.remove_below(key(path));
                }
                Kind::Opaque => view.remove_below(key(path)),
                _ => {}
            }
        }
        for ((position, entry), (path, target)) in (0u32..).zip(entries).zip(layer_spans) {
            let at = At {
                layer,
                entry: position,
            };
            let k = key(path);
            let node = match &entry.kind {
                Kind::Whiteout | Kind::Opaque => continue,
                Kind::File { .. } => Node::File { at },
                Kind::Dir if view.is_dir(k) => continue,
                Kind::Dir => Node::Dir,
                Kind::Symlink { .. } => Node::Symlink,
                Kind::HardLink { raw_target, .. } => match view.get(key(target)) {
                    Some(Slot {
                        node: node @ Node::File { .. },
                        ..
                    }) if !target.is_empty() => *node,
                    _ => {
                        broken.push(BrokenLink {
                            layer: (*digest).to_owned(),
                            path: entry.path.clone(),
                            target: raw_target.clone(),
                        });
                        continue;
                    }
                },
            };
            view.insert(k, Slot { node, at });
        }
    }
    let View { map, slots } = view;
    let mut files = Vec::with_capacity(map.len());
    for i in map.into_values() {
        let Some(Some(Slot {
            node: Node::File { at: content },
            at,
        })) = slots.get(i)
        else {
            continue;
        };
        let entry = |at: &At| {
            layers
                .get(at.layer as usize)
                .and_then(|(_, entries)| entries.get(at.entry as usize))
        };
        let Some(Entry {
            kind: Kind::File { size, sha256 },
            ..
        }) = entry(content)
        else {
            continue;
        };
        let (size, sha256) = (*size, lower_hex(sha256));
        let Some((digest, entries)) = layers.get_mut(at.layer as usize) else {
            continue;
        };
        let path = entries
            .get_mut(at.entry as usize)
            .map(|e| std::mem::take(&mut e.path))
            .unwrap_or_default();
        files.push(winspect_inventory::File {
            path,
            size,
            sha256,
            layer: Some((*digest).to_owned()),
            ..winspect_inventory::File::default()
        });
    }
    (files, broken)
}

/// `hex::encode`, without its per-character iterator: the merged view of a
/// large image formats a hundred thousand digests.
pub(crate) fn lower_hex(digest: &[u8; 32]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digit = |nibble: u8| DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0');
    let mut text = [0u8; 64];
    for (pair, &byte) in text.chunks_exact_mut(2).zip(digest) {
        if let [high, low] = pair {
            *high = digit(byte >> 4);
            *low = digit(byte & 0xf);
        }
    }
    match std::str::from_utf8(&text) {
        Ok(text) => text.to_owned(),
        Err(_) => hex::encode(digest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file whose digest is `tag` repeated (so tests can tell files apart).
    fn file(path: &str, tag: u8) -> Entry {
        Entry {
            path: path.into(),
            kind: Kind::File {
                size: u64::from(tag),
                sha256: [tag; 32],
            },
        }
    }

    fn layer(entries: Vec<Entry>) -> Vec<Entry> {
        entries
    }

    fn hex_of(tag: u8) -> String {
        hex::encode([tag; 32])
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
    fn digests_are_formatted_as_hex_does() {
        let digest: [u8; 32] = std::array::from_fn(|i| (i * 37 + 5) as u8);
        assert_eq!(lower_hex(&digest), hex::encode(digest));
        assert_eq!(lower_hex(&[0xff; 32]), "f".repeat(64));
    }

    #[test]
    fn upper_layers_win_whiteouts_remove_and_links_resolve() {
        let base = layer(vec![
            file("Windows/System32/a.dll", 0xaa),
            file("Windows/Temp/x.log", 0x01),
            file("app/keep.txt", 0x02),
            file("app/old/one.txt", 0x11),
            file("data/f.txt", 0xff),
        ]);
        let top = layer(vec![
            file("WINDOWS/system32/A.DLL", 0xa2),
            Entry {
                path: "Windows/Temp".into(),
                kind: Kind::Whiteout,
            },
            Entry {
                path: "app".into(),
                kind: Kind::Opaque,
            },
            file("app/new.txt", 0x03),
            link("linked.dll", "windows/system32/a.dll"),
            link("gone.dll", "Windows/nothere.dll"),
            link("data/copy.txt", "app/keep.txt"),
        ]);
        let (files, broken) = merge(vec![("sha256:base", base), ("sha256:top", top)]);
        let listed: Vec<(&str, &str, u64, &str)> = files
            .iter()
            .map(|f| {
                (
                    f.path.as_str(),
                    f.sha256.as_str(),
                    f.size,
                    f.layer.as_deref().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            listed,
            vec![
                ("app/new.txt", hex_of(0x03).as_str(), 0x03, "sha256:top"),
                ("data/f.txt", hex_of(0xff).as_str(), 0xff, "sha256:base"),
                ("linked.dll", hex_of(0xa2).as_str(), 0xa2, "sha256:top"),
                (
                    "WINDOWS/system32/A.DLL",
                    hex_of(0xa2).as_str(),
                    0xa2,
                    "sha256:top"
                ),
            ]
        );
        // The opaque dir hid app/keep.txt before the link to it was made.
        assert_eq!(broken.len(), 2);
        assert_eq!(broken[0].path, "gone.dll");
        assert_eq!(broken[1].target, "Files/app/keep.txt");
    }

    #[test]
    fn files_over_directories_whiteouts_again_and_unicode_case() {
        let entry = |path: &str, kind: Kind| Entry {
            path: path.into(),
            kind,
        };
        let base = vec![
            entry("a", Kind::Dir),
            file("a/x.txt", 0x01),
            file("keep/f.txt", 0x02),
            file("w.txt", 0x03),
            file("gone.txt", 0x04),
            file("Ärger/Öl.txt", 0x05),
        ];
        let middle = vec![
            entry("W.TXT", Kind::Whiteout),
            entry("gone.txt", Kind::Whiteout),
            // A link made before its target, in the same layer, is broken.
            link("early.dll", "late.dll"),
            file("late.dll", 0x06),
        ];
        let top = vec![
            file("A", 0x07),
            entry("KEEP", Kind::Dir),
            file("w.txt", 0x08),
            file("ärger/öl.txt", 0x09),
        ];
        let (files, broken) = merge(vec![
            ("sha256:base", base),
            ("sha256:middle", middle),
            ("sha256:top", top),
        ]);
        let listed: Vec<(&str, u64, &str)> = files
            .iter()
            .map(|f| (f.path.as_str(), f.size, f.layer.as_deref().unwrap()))
            .collect();
        assert_eq!(
            listed,
            vec![
                // The file replacing directory `a` hides `a/x.txt`.
                ("A", 0x07, "sha256:top"),
                // A directory entry over a directory keeps what is below.
                ("keep/f.txt", 0x02, "sha256:base"),
                ("late.dll", 0x06, "sha256:middle"),
                // Whited out in the middle layer, written again on top.
                ("w.txt", 0x08, "sha256:top"),
                ("ärger/öl.txt", 0x09, "sha256:top"),
            ]
        );
        assert_eq!(broken.len(), 1);
        assert_eq!(broken[0].path, "early.dll");
        assert_eq!(broken[0].layer, "sha256:middle");
    }

    #[test]
    fn a_large_view_comes_out_whole_and_in_order() {
        let count = 12_000;
        let base: Vec<Entry> = (0..count)
            .map(|i| file(&format!("Dir{:02}/File{i:06}.dll", i % 37), (i % 251) as u8))
            .collect();
        let top = vec![
            file("dir00/FILE000000.DLL", 0xfe),
            link("z.dll", "dir01/file000001.dll"),
        ];
        let (files, broken) = merge(vec![("sha256:base", base), ("sha256:top", top)]);
        assert!(broken.is_empty());
        assert_eq!(files.len(), count + 1);
        let keys: Vec<String> = files.iter().map(|f| f.path.to_lowercase()).collect();
        assert!(keys.windows(2).all(|pair| pair[0] < pair[1]), "sorted");
        for f in &files {
            let expected = match f.path.as_str() {
                "dir00/FILE000000.DLL" => (0xfe, "sha256:top"),
                "z.dll" => (1, "sha256:top"),
                path => {
                    let i: usize = path[path.len() - 10..path.len() - 4].parse().unwrap();
                    ((i % 251) as u64, "sha256:base")
                }
            };
            assert_eq!(
                (f.size, f.layer.as_deref().unwrap()),
                expected,
                "{}",
                f.path
            );
            assert_eq!(f.sha256, hex_of(f.size as u8), "{}", f.path);
        }
    }
}
