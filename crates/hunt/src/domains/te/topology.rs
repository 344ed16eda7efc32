//! Topologies (node-link JSON), candidate paths and POP partition files.

use std::collections::{HashMap, VecDeque};
use std::path::Path;

use serde_json::Value;

use crate::HuntError;

/// A directed link.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// Index of the source node.
    pub src: usize,
    /// Index of the target node.
    pub dst: usize,
    /// Capacity (same unit as the demands).
    pub capacity: f64,
}

/// A directed graph with capacities.
#[derive(Debug, Clone, PartialEq)]
pub struct Topology {
    /// A short name (the file stem).
    pub name: String,
    /// Node ids as written in the file, by index.
    pub node_ids: Vec<String>,
    /// Links, in file order.
    pub links: Vec<Link>,
}

/// Upper bound on partial paths explored per source–destination pair when
/// looking for candidate paths.
const PATH_SEARCH_STATES_MAX: usize = 200_000;

fn id_string(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

impl Topology {
    /// Reads a node-link JSON file (`nodes[].id`, `links[].source`,
    /// `links[].target`, `links[].capacity`).
    pub fn load(path: &Path) -> Result<Topology, HuntError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| HuntError::input(path, format!("cannot read: {e}")))?;
        let name = path.file_stem().map_or_else(
            || "topology".to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
        Topology::parse(&name, &text).map_err(|m| HuntError::input(path, m))
    }

    /// Parses node-link JSON text; the error says which field is wrong.
    pub fn parse(name: &str, text: &str) -> Result<Topology, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
        let nodes = v
            .get("nodes")
            .and_then(Value::as_array)
            .ok_or("missing array `nodes`")?;
        let mut node_ids = Vec::with_capacity(nodes.len());
        let mut index = HashMap::new();
        for (i, n) in nodes.iter().enumerate() {
            let id = n
                .get("id")
                .and_then(id_string)
                .ok_or_else(|| format!("nodes[{i}].id: expected a number or string"))?;
            if index.insert(id.clone(), i).is_some() {
                return Err(format!("nodes[{i}].id: duplicate id {id}"));
            }
            node_ids.push(id);
        }
        let links_v = v
            .get("links")
            .and_then(Value::as_array)
            .ok_or("missing array `links`")?;
        let mut links = Vec::with_capacity(links_v.len());
        for (i, l) in links_v.iter().enumerate() {
            let end = |field: &str| -> Result<usize, String> {
                let id = l
                    .get(field)
                    .and_then(id_string)
                    .ok_or_else(|| format!("links[{i}].{field}: expected a node id"))?;
                index
                    .get(&id)
                    .copied()
                    .ok_or_else(|| format!("links[{i}].{field}: unknown node {id}"))
            };
            let capacity = l
                .get("capacity")
                .and_then(Value::as_f64)
                .ok_or_else(|| format!("links[{i}].capacity: expected a number"))?;
            if !(capacity.is_finite() && capacity > 0.0) {
                return Err(format!("links[{i}].capacity: must be > 0, got {capacity}"));
            }
            links.push(Link {
                src: end("source")?,
                dst: end("target")?,
                capacity,
            });
        }
        if node_ids.len() < 2 || links.is_empty() {
            return Err("a topology needs at least 2 nodes and 1 link".into());
        }
        Ok(Topology {
            name: name.to_string(),
            node_ids,
            links,
        })
    }

    /// Up to `k` shortest simple paths (fewest links first; among equal
    /// lengths, in the order of a breadth-first search expanding links in
    /// file order), each a list of link indices.
    pub fn k_shortest_paths(&self, src: usize, dst: usize, k: usize) -> Vec<Vec<usize>> {
        let mut out_links: Vec<Vec<usize>> = vec![Vec::new(); self.node_ids.len()];
        for (i, l) in self.links.iter().enumerate() {
            out_links[l.src].push(i);
        }
        let mut found = Vec::new();
        // Each state: (current node, links so far, nodes visited).
        let mut queue: VecDeque<(usize, Vec<usize>, Vec<usize>)> = VecDeque::new();
        queue.push_back((src, Vec::new(), vec![src]));
        let mut explored = 0;
        while let Some((node, path, visited)) = queue.pop_front() {
            explored += 1;
            if explored > PATH_SEARCH_STATES_MAX || found.len() >= k {
                break;
            }
            for &li in &out_links[node] {
                let next = self.links[li].dst;
                if visited.contains(&next) {
                    continue;
                }
                let mut p = path.clone();
                p.push(li);
                if next == dst {
                    if found.len() < k {
                        found.push(p);
                    }
                    continue;
                }
                let mut v = visited.clone();
                v.push(next);
                queue.push_back((next, p, v));
            }
        }
        found
    }
}

/// The fixed random partitions of demand pairs used to evaluate POP.
#[derive(Debug, Clone, PartialEq)]
pub struct Partitions {
    /// Partitions per sample.
    pub partitions_n: usize,
    /// Per sample, a map from `(src, dst)` node index pair to its partition.
    pub samples: Vec<HashMap<(usize, usize), usize>>,
}

impl Partitions {
    /// Reads a `pop_partitions/NAME.json` file (`num_partitions`,
    /// `partitions[]` of `"src_dst": index`), resolving node ids against
    /// `topology`.
    pub fn load(path: &Path, topology: &Topology) -> Result<Partitions, HuntError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| HuntError::input(path, format!("cannot read: {e}")))?;
        Partitions::parse(&text, topology).map_err(|m| HuntError::input(path, m))
    }

    /// Parses partition JSON text.
    pub fn parse(text: &str, topology: &Topology) -> Result<Partitions, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
        let partitions_n = v
            .get("num_partitions")
            .and_then(Value::as_u64)
            .filter(|n| *n >= 1)
            .ok_or("num_partitions: expected an integer >= 1")? as usize;
        let arr = v
            .get("partitions")
            .and_then(Value::as_array)
            .ok_or("missing array `partitions`")?;
        let index: HashMap<&str, usize> = topology
            .node_ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i))
            .collect();
        let mut samples = Vec::with_capacity(arr.len());
        for (s, sample) in arr.iter().enumerate() {
            let obj = sample
                .as_object()
                .ok_or_else(|| format!("partitions[{s}]: expected an object"))?;
            let mut map = HashMap::with_capacity(obj.len());
            for (key, p) in obj {
                let (a, b) = key
                    .split_once('_')
                    .ok_or_else(|| format!("partitions[{s}].{key}: expected \"src_dst\""))?;
                let (Some(&a), Some(&b)) = (index.get(a), index.get(b)) else {
                    return Err(format!("partitions[{s}].{key}: unknown node"));
                };
                let p = p
                    .as_u64()
                    .filter(|p| (*p as usize) < partitions_n)
                    .ok_or_else(|| {
                        format!("partitions[{s}].{key}: expected an index below {partitions_n}")
                    })?;
                map.insert((a, b), p as usize);
            }
            samples.push(map);
        }
        if samples.is_empty() {
            return Err("partitions: at least one sample is needed".into());
        }
        Ok(Partitions {
            partitions_n,
            samples,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIAMOND: &str = r#"{"nodes":[{"id":0},{"id":1},{"id":2},{"id":3}],
      "links":[{"source":0,"target":1,"capacity":200},{"source":0,"target":2,"capacity":200},
               {"source":1,"target":3,"capacity":200},{"source":2,"target":3,"capacity":200}]}"#;

    #[test]
    fn diamond_has_two_two_hop_paths() {
        let t = Topology::parse("diamond", DIAMOND).expect("parse");
        assert_eq!(t.k_shortest_paths(0, 3, 4), vec![vec![0, 2], vec![1, 3]]);
        assert_eq!(t.k_shortest_paths(0, 1, 4), vec![vec![0]]);
        assert!(t.k_shortest_paths(3, 0, 4).is_empty());
    }

    #[test]
    fn parse_errors_name_the_field() {
        let bad = DIAMOND.replace(
            "\"target\":3,\"capacity\":200},{",
            "\"target\":9,\"capacity\":200},{",
        );
        let err = Topology::parse("x", &bad).expect_err("unknown node");
        assert!(err.contains("links[2].target"), "{err}");
        let t = Topology::parse("d", DIAMOND).expect("parse");
        let err = Partitions::parse(r#"{"num_partitions":2,"partitions":[{"0_1":5}]}"#, &t)
            .expect_err("bad index");
        assert!(err.contains("0_1"), "{err}");
    }
}
