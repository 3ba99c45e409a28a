//! A registry held in memory: for tests, and for dumps loaded from JSON.

use std::collections::BTreeMap;

use winspect_inventory::Layer;

use super::{RegData, RegKey, RegValue, RegistryError, RegistryView};
use crate::fold_name;

/// An in-memory registry. Keys are created on demand by [`MemoryRegistry::set`]
/// and [`MemoryRegistry::add_key`].
#[derive(Debug, Clone, Default)]
pub struct MemoryRegistry {
    root: Node,
}

#[derive(Debug, Clone, Default)]
struct Node {
    name: String,
    layer: Layer,
    values: Vec<RegValue>,
    /// By folded name, so lookups ignore case and listings are sorted.
    children: BTreeMap<String, Node>,
}

impl MemoryRegistry {
    pub fn new() -> Self {
        MemoryRegistry::default()
    }

    /// Creates the key at `path` (and its parents), written by `layer`.
    /// An existing key keeps its values and takes the new layer.
    pub fn add_key(&mut self, path: &str, layer: Layer) {
        let node = self.node_mut(path);
        node.layer = layer;
    }

    /// Sets value `name` of the key at `path`, creating the key if needed.
    /// A value of the same name (any case) is replaced.
    pub fn set(&mut self, path: &str, name: &str, data: RegData, layer: Layer) {
        let node = self.node_mut(path);
        if node.layer.is_none() {
            node.layer.clone_from(&layer);
        }
        let value = RegValue {
            name: name.to_owned(),
            data,
            layer,
        };
        match node
            .values
            .iter_mut()
            .find(|v| crate::names_equal(&v.name, name))
        {
            Some(existing) => *existing = value,
            None => node.values.push(value),
        }
    }

    fn node_mut(&mut self, path: &str) -> &mut Node {
        let mut node = &mut self.root;
        for part in components(path) {
            node = node
                .children
                .entry(fold_name(part))
                .or_insert_with(|| Node {
                    name: part.to_owned(),
                    ..Node::default()
                });
        }
        node
    }
}

fn components(path: &str) -> impl Iterator<Item = &str> {
    path.split('\\').filter(|part| !part.is_empty())
}

impl RegistryView for MemoryRegistry {
    fn key(&self, path: &str) -> Result<Option<RegKey>, RegistryError> {
        let mut node = &self.root;
        // The path as stored, so messages show the registry's own spelling.
        let mut stored = Vec::new();
        for part in components(path) {
            match node.children.get(&fold_name(part)) {
                Some(child) => node = child,
                None => return Ok(None),
            }
            stored.push(node.name.as_str());
        }
        if stored.is_empty() {
            return Err(RegistryError::new(path, "a path must name a hive root"));
        }
        Ok(Some(RegKey {
            path: stored.join("\\"),
            layer: node.layer.clone(),
            subkeys: node.children.values().map(|c| c.name.clone()).collect(),
            values: node.values.clone(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_whatever_the_case_and_list_their_subkeys() {
        let mut reg = MemoryRegistry::new();
        reg.set(
            r"SOFTWARE\Microsoft\A",
            "v",
            RegData::Dword(1),
            Some("l1".into()),
        );
        reg.add_key(r"SOFTWARE\Microsoft\b", Some("l2".into()));
        let key = reg.key(r"software\MICROSOFT").unwrap().unwrap();
        assert_eq!(key.subkeys, vec!["A", "b"]);
        let a = reg.key(r"SOFTWARE\Microsoft\a").unwrap().unwrap();
        assert_eq!(a.layer.as_deref(), Some("l1"));
        assert_eq!(a.path, r"SOFTWARE\Microsoft\A");
        assert!(reg.key(r"SOFTWARE\Nope").unwrap().is_none());
        assert!(reg.key("").is_err());
    }

    #[test]
    fn setting_a_value_again_replaces_it() {
        let mut reg = MemoryRegistry::new();
        reg.set(r"SYSTEM\K", "Start", RegData::Dword(2), Some("base".into()));
        reg.set(r"SYSTEM\K", "START", RegData::Dword(4), Some("top".into()));
        let key = reg.key(r"SYSTEM\K").unwrap().unwrap();
        assert_eq!(key.values.len(), 1);
        assert_eq!(key.dword("start").unwrap(), Some(4));
        assert_eq!(key.layer_of("Start").as_deref(), Some("top"));
        assert_eq!(key.layer.as_deref(), Some("base"));
    }
}
