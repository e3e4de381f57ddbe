//! Dependency ordering with petgraph: dependencies before dependents, ties broken by logical id so
//! the order is deterministic; a cycle is an error naming its members.

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;
use std::collections::{BTreeMap, BTreeSet};

/// Orders `nodes` so that each comes after everything it depends on. `edges` are
/// `(dependency, dependent)` pairs; edges naming unknown nodes are ignored.
/// `Err` holds the members of a cycle, sorted.
pub fn order(
    nodes: &BTreeSet<String>,
    edges: &[(String, String)],
) -> Result<Vec<String>, Vec<String>> {
    let mut graph: DiGraph<&str, ()> = DiGraph::new();
    let index: BTreeMap<&str, NodeIndex> = nodes
        .iter()
        .map(|n| (n.as_str(), graph.add_node(n.as_str())))
        .collect();
    for (from, to) in edges {
        if let (Some(a), Some(b)) = (index.get(from.as_str()), index.get(to.as_str())) {
            if a != b {
                graph.update_edge(*a, *b, ());
            }
        }
    }
    for scc in tarjan_scc(&graph) {
        let self_loop = scc.len() == 1 && graph.contains_edge(scc[0], scc[0]);
        if scc.len() > 1 || self_loop {
            let mut members: Vec<String> = scc.iter().map(|i| graph[*i].to_string()).collect();
            members.sort();
            return Err(members);
        }
    }
    // Kahn's algorithm with an ordered ready set.
    let mut indegree: BTreeMap<NodeIndex, usize> = graph
        .node_indices()
        .map(|i| (i, graph.neighbors_directed(i, Direction::Incoming).count()))
        .collect();
    let mut ready: BTreeSet<(&str, NodeIndex)> = indegree
        .iter()
        .filter(|(_, d)| **d == 0)
        .map(|(i, _)| (graph[*i], *i))
        .collect();
    let mut out = Vec::with_capacity(nodes.len());
    while let Some(next) = ready.pop_first() {
        out.push(next.0.to_string());
        for succ in graph.neighbors_directed(next.1, Direction::Outgoing) {
            if let Some(d) = indegree.get_mut(&succ) {
                *d -= 1;
                if *d == 0 {
                    ready.insert((graph[succ], succ));
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }
    fn edges(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn dependencies_come_first_and_ties_are_alphabetical() {
        let order = order(
            &set(&["Alias", "Function", "LogGroup", "Api"]),
            &edges(&[("LogGroup", "Function"), ("Function", "Alias")]),
        );
        assert_eq!(
            order,
            Ok(vec![
                "Api".into(),
                "LogGroup".into(),
                "Function".into(),
                "Alias".into()
            ])
        );
    }

    #[test]
    fn a_cycle_names_its_members() {
        let r = order(
            &set(&["A", "B", "C"]),
            &edges(&[("A", "B"), ("B", "A"), ("C", "A")]),
        );
        assert_eq!(r, Err(vec!["A".into(), "B".into()]));
    }
}
