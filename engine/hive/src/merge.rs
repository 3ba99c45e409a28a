//! The effective registry of a container image: a base hive with each layer's delta hive merged
//! on top, in order, as Windows' layered keys (`ORMergeHives`) define it.
//!
//! Nothing is copied: a [`MergedKey`] is the stack of key nodes (one per layer, topmost first)
//! that make up that key, and each lookup reads the layers' own cells.
//!
//! The rules, per key path, walking the layers from the top down:
//! - a **tombstone** key node hides the key in this and every lower layer;
//! - **supersede-tree** includes this node and hides lower layers for the key and its subtree;
//! - **supersede-local** includes this node and hides lower layers' values and class, while
//!   subkeys still merge with lower layers;
//! - **merge** includes this node and goes on down.
//!
//! Values: the topmost value of a name among the value-contributing nodes wins; a tombstone value
//! hides that name. Class: from the topmost node whose inherit-class bit is clear.

use std::collections::{BTreeMap, HashSet};
use std::ops::Deref;

use crate::error::HiveError;
use crate::regf::{
    Hive, KeyNode, LayerSemantics, MAX_DEPTH, Value, fold_name, join_path, names_equal,
    path_components,
};

/// One layer of a merged registry: a hive and the caller's label for it (e.g. a layer digest).
#[derive(Debug)]
pub struct Layer {
    label: String,
    hive: Hive,
}

impl Layer {
    /// A layer with its label.
    pub fn new(label: impl Into<String>, hive: Hive) -> Self {
        Layer {
            label: label.into(),
            hive,
        }
    }

    /// The caller's label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The layer's hive.
    pub fn hive(&self) -> &Hive {
        &self.hive
    }
}

/// Where a key node or value came from: its layer's index in the caller's list, and its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerRef<'r> {
    /// Index into the list of layers given to [`MergedRegistry::new`] (0 = base).
    pub index: usize,
    /// The caller's label for that layer.
    pub label: &'r str,
}

/// A base hive and delta hives, merged on demand.
#[derive(Debug)]
pub struct MergedRegistry {
    layers: Vec<Layer>,
}

impl MergedRegistry {
    /// Merges `layers` in order: the first is the base, each later one a delta over it.
    ///
    /// A single plain hive is a valid registry too, so extractors can use this one API.
    pub fn new(layers: Vec<Layer>) -> Result<Self, HiveError> {
        if layers.is_empty() {
            return Err(HiveError::NoLayers);
        }
        Ok(MergedRegistry { layers })
    }

    /// The layers, in the order given.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    fn layer_ref(&self, index: usize) -> LayerRef<'_> {
        LayerRef {
            index,
            label: self
                .layers
                .get(index)
                .map(|l| l.label.as_str())
                .unwrap_or_default(),
        }
    }

    /// The merged root key.
    pub fn root(&self) -> Result<MergedKey<'_>, HiveError> {
        let mut candidates = Vec::with_capacity(self.layers.len());
        for (index, layer) in self.layers.iter().enumerate().rev() {
            candidates.push(Frame {
                layer: index,
                node: layer.hive.root()?,
            });
        }
        Ok(MergedKey::from_candidates(self, String::new(), candidates)
            .unwrap_or_else(|| MergedKey::empty_root(self)))
    }

    /// Opens a key by path below the root, case-insensitively; `Ok(None)` if it does not exist
    /// in the merged view (absent, or deleted by a tombstone).
    pub fn open(&self, path: &str) -> Result<Option<MergedKey<'_>>, HiveError> {
        self.root()?.open(path)
    }

    /// Opens the current control set of a SYSTEM hive: `Select\Current` = N gives
    /// `ControlSet00N` (offline hives have no `CurrentControlSet`).
    pub fn current_control_set(&self) -> Result<MergedKey<'_>, HiveError> {
        let no_set = |problem: String| HiveError::NoControlSet { problem };
        let select = self
            .open("Select")?
            .ok_or_else(|| no_set("the hive has no `Select` key".into()))?;
        let current = select
            .value("Current")?
            .ok_or_else(|| no_set("`Select` has no `Current` value".into()))?
            .as_u32()?;
        let name = format!("ControlSet{current:03}");
        self.open(&name)?.ok_or_else(|| {
            no_set(format!(
                "`Select\\Current` is {current} but `{name}` does not exist"
            ))
        })
    }
}

#[derive(Debug, Clone, Copy)]
struct Frame<'r> {
    layer: usize,
    node: KeyNode<'r>,
}

/// A key of the merged view: the key nodes that make it up, topmost layer first.
#[derive(Debug, Clone)]
pub struct MergedKey<'r> {
    registry: &'r MergedRegistry,
    path: String,
    /// Nodes contributing subkeys, topmost first.
    frames: Vec<Frame<'r>>,
    /// How many of `frames` (from the top) contribute values and class.
    value_frames: usize,
}

impl<'r> MergedKey<'r> {
    /// Applies the layer rules to one key's nodes (topmost first); `None` if the key is deleted.
    fn from_candidates(
        registry: &'r MergedRegistry,
        path: String,
        candidates: Vec<Frame<'r>>,
    ) -> Option<Self> {
        let mut frames = Vec::with_capacity(candidates.len());
        let mut value_frames = None;
        for frame in candidates {
            match frame.node.layer_semantics() {
                LayerSemantics::Tombstone => break,
                LayerSemantics::SupersedeTree => {
                    frames.push(frame);
                    break;
                }
                LayerSemantics::SupersedeLocal => {
                    frames.push(frame);
                    value_frames.get_or_insert(frames.len());
                }
                LayerSemantics::Merge => frames.push(frame),
            }
        }
        if frames.is_empty() {
            return None;
        }
        let value_frames = value_frames.unwrap_or(frames.len());
        Some(MergedKey {
            registry,
            path,
            frames,
            value_frames,
        })
    }

    fn empty_root(registry: &'r MergedRegistry) -> Self {
        MergedKey {
            registry,
            path: String::new(),
            frames: Vec::new(),
            value_frames: 0,
        }
    }

    fn top(&self) -> Option<&Frame<'r>> {
        self.frames.first()
    }

    /// The key's path below the root (empty for the root).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The key's name as the topmost layer spells it.
    pub fn name(&self) -> String {
        self.top()
            .map(|f| f.node.name().into_owned())
            .unwrap_or_default()
    }

    /// The layer of the topmost node: where this key's current definition comes from.
    pub fn layer(&self) -> LayerRef<'r> {
        self.registry.layer_ref(self.top().map_or(0, |f| f.layer))
    }

    /// Every layer with a node in this key, topmost first.
    pub fn layers(&self) -> Vec<LayerRef<'r>> {
        self.frames
            .iter()
            .map(|f| self.registry.layer_ref(f.layer))
            .collect()
    }

    /// The topmost node's layer semantics.
    pub fn semantics(&self) -> LayerSemantics {
        self.top()
            .map_or(LayerSemantics::Merge, |f| f.node.layer_semantics())
    }

    /// Whether the topmost node inherits its class from below.
    pub fn inherit_class(&self) -> bool {
        self.top().is_some_and(|f| f.node.inherit_class())
    }

    /// The topmost key node and its layer.
    pub fn top_node(&self) -> Option<(LayerRef<'r>, KeyNode<'r>)> {
        self.top()
            .map(|f| (self.registry.layer_ref(f.layer), f.node))
    }

    /// The most recent last-written time among the key's nodes (FILETIME).
    pub fn last_written(&self) -> u64 {
        self.frames
            .iter()
            .map(|f| f.node.last_written())
            .max()
            .unwrap_or(0)
    }

    /// The class name: from the topmost node whose inherit-class bit is clear.
    pub fn class_name(&self) -> Result<Option<String>, HiveError> {
        match self.value_frames().find(|f| !f.node.inherit_class()) {
            Some(frame) => frame.node.class_name(),
            None => Ok(None),
        }
    }

    fn value_frames(&self) -> impl Iterator<Item = &Frame<'r>> {
        self.frames.iter().take(self.value_frames)
    }

    /// The subkey `name` (case-insensitive) in the merged view, if it exists.
    pub fn subkey(&self, name: &str) -> Result<Option<MergedKey<'r>>, HiveError> {
        let mut candidates = Vec::new();
        for frame in &self.frames {
            if let Some(node) = frame.node.subkey(name)? {
                candidates.push(Frame {
                    layer: frame.layer,
                    node,
                });
            }
        }
        let path = join_path(
            &self.path,
            candidates
                .first()
                .map(|f| f.node.name())
                .as_deref()
                .unwrap_or(name),
        );
        Ok(MergedKey::from_candidates(self.registry, path, candidates))
    }

    /// Opens a key by a path relative to this one.
    pub fn open(&self, path: &str) -> Result<Option<MergedKey<'r>>, HiveError> {
        let mut key = self.clone();
        for component in path_components(path) {
            match key.subkey(component)? {
                Some(child) => key = child,
                None => return Ok(None),
            }
        }
        Ok(Some(key))
    }

    /// The subkeys in the merged view, sorted by upper-cased name.
    pub fn subkeys(&self) -> Result<Vec<MergedKey<'r>>, HiveError> {
        let mut by_name: BTreeMap<String, Vec<Frame<'r>>> = BTreeMap::new();
        for frame in &self.frames {
            for node in frame.node.subkeys()? {
                let group = by_name.entry(fold_name(&node.name())).or_default();
                // One node per layer: a hive listing two keys of one name keeps the first.
                if group.last().is_none_or(|f| f.layer != frame.layer) {
                    group.push(Frame {
                        layer: frame.layer,
                        node,
                    });
                }
            }
        }
        Ok(by_name
            .into_values()
            .filter_map(|candidates| {
                let name = candidates
                    .first()
                    .map(|f| f.node.name().into_owned())
                    .unwrap_or_default();
                MergedKey::from_candidates(self.registry, join_path(&self.path, &name), candidates)
            })
            .collect())
    }

    /// The values in the merged view (tombstoned names removed), sorted by upper-cased name.
    pub fn values(&self) -> Result<Vec<MergedValue<'r>>, HiveError> {
        let mut by_name: BTreeMap<String, Option<MergedValue<'r>>> = BTreeMap::new();
        for frame in self.value_frames() {
            for value in frame.node.values()? {
                by_name.entry(fold_name(&value.name())).or_insert_with(|| {
                    (!value.is_tombstone()).then(|| MergedValue {
                        value,
                        layer: self.registry.layer_ref(frame.layer),
                    })
                });
            }
        }
        Ok(by_name.into_values().flatten().collect())
    }

    /// The value `name` (case-insensitive; empty for the default value) in the merged view.
    pub fn value(&self, name: &str) -> Result<Option<MergedValue<'r>>, HiveError> {
        for frame in self.value_frames() {
            if let Some(value) = frame.node.value(name)? {
                return Ok((!value.is_tombstone()).then(|| MergedValue {
                    value,
                    layer: self.registry.layer_ref(frame.layer),
                }));
            }
        }
        Ok(None)
    }

    /// Visits this key and every key below it in the merged view, depth first, sorted by name.
    ///
    /// Problems (unreadable lists, cycles, nesting beyond [`MAX_DEPTH`]) are returned, and the
    /// affected subtree skipped; every key node is visited at most once.
    pub fn walk(&self, mut visit: impl FnMut(&MergedKey<'r>)) -> Vec<HiveError> {
        let mut errors = Vec::new();
        let mut seen: HashSet<(usize, u32)> = self
            .frames
            .iter()
            .map(|f| (f.layer, f.node.offset()))
            .collect();
        let mut stack = vec![(self.clone(), 0usize)];
        while let Some((key, depth)) = stack.pop() {
            visit(&key);
            if depth >= MAX_DEPTH {
                errors.push(HiveError::TooDeep {
                    path: key.path.clone(),
                    limit: MAX_DEPTH,
                });
                continue;
            }
            match key.subkeys() {
                Ok(children) => {
                    for child in children.into_iter().rev() {
                        let fresh = child
                            .frames
                            .iter()
                            .all(|f| seen.insert((f.layer, f.node.offset())));
                        if fresh {
                            stack.push((child, depth + 1));
                        } else {
                            errors.push(HiveError::Cycle {
                                offset: child.frames.first().map_or(0, |f| f.node.offset()),
                                path: key.path.clone(),
                            });
                        }
                    }
                }
                Err(err) => errors.push(err),
            }
        }
        errors
    }

    /// True when `name` equals this key's name, case-insensitively.
    pub fn is_named(&self, name: &str) -> bool {
        names_equal(&self.name(), name)
    }
}

/// A value of the merged view and the layer it came from.
///
/// Dereferences to [`Value`] for its name, type and typed data (`as_string`, `as_u32`, ...).
#[derive(Debug, Clone, Copy)]
pub struct MergedValue<'r> {
    value: Value<'r>,
    layer: LayerRef<'r>,
}

impl<'r> MergedValue<'r> {
    /// The layer the value came from.
    pub fn layer(&self) -> LayerRef<'r> {
        self.layer
    }

    /// The underlying value.
    pub fn value(&self) -> &Value<'r> {
        &self.value
    }
}

impl<'r> Deref for MergedValue<'r> {
    type Target = Value<'r>;

    fn deref(&self) -> &Value<'r> {
        &self.value
    }
}
