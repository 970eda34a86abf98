//! Checks across jobs: `needs` that name no job, cycles, matrix names
//! that clash.

use std::collections::{BTreeSet, HashMap};

use super::super::*;
use super::*;

impl Cx {
    pub(super) fn check_needs(&mut self, jobs: &[Job]) {
        let names: Vec<&str> = jobs.iter().map(|j| j.name.as_str()).collect();
        for job in jobs {
            let mut seen = BTreeSet::new();
            for need in &job.needs {
                if need.job == job.name {
                    self.error(
                        need.pos,
                        format!("job `{}` needs itself; remove it from `needs`", job.name),
                    );
                } else if !names.contains(&need.job.as_str()) {
                    let hint = did_you_mean(&need.job, names.iter().copied())
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_default();
                    self.error(
                        need.pos,
                        format!(
                            "job `{}` needs `{}`, but no job has that name{hint}",
                            job.name, need.job
                        ),
                    );
                } else if !seen.insert(need.job.as_str()) {
                    self.error(
                        need.pos,
                        format!("job `{}` lists `{}` twice in `needs`", job.name, need.job),
                    );
                }
            }
        }
        for cycle in find_cycles(jobs) {
            let first = &jobs[cycle[0]];
            let next = &jobs[cycle[1 % cycle.len()]].name;
            let pos = first
                .needs
                .iter()
                .find(|n| &n.job == next)
                .map_or(first.pos, |n| n.pos);
            let mut path: Vec<&str> = cycle.iter().map(|&i| jobs[i].name.as_str()).collect();
            path.push(&first.name);
            // `needs` point backwards in time: show the order in which jobs would wait.
            path.reverse();
            self.error(
                pos,
                format!(
                    "jobs form a cycle: {}; remove one of these `needs`",
                    path.join(" -> ")
                ),
            );
        }
    }

    pub(super) fn check_matrix_names(&mut self, jobs: &[Job]) {
        let mut names: HashMap<String, &Job> = HashMap::new();
        for job in jobs {
            for (name, _) in super::super::plan::matrix_instances(job) {
                if let Some(other) = names.get(&name) {
                    if !std::ptr::eq(*other, job) {
                        self.error(
                            job.pos,
                            format!(
                                "job `{}` expands to `{name}`, which job `{}` also uses; rename one",
                                job.name, other.name
                            ),
                        );
                    }
                } else {
                    names.insert(name, job);
                }
            }
        }
    }
}

/// Every elementary cycle found by a depth-first search, each once, as job
/// indices in `needs` order (job, a job it needs, ...).
pub(super) fn find_cycles(jobs: &[Job]) -> Vec<Vec<usize>> {
    let index: HashMap<&str, usize> = jobs
        .iter()
        .enumerate()
        .map(|(i, j)| (j.name.as_str(), i))
        .collect();
    let edges: Vec<Vec<usize>> = jobs
        .iter()
        .map(|j| {
            j.needs
                .iter()
                .filter(|n| n.job != j.name)
                .filter_map(|n| index.get(n.job.as_str()).copied())
                .collect()
        })
        .collect();
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnStack,
        Done,
    }
    let mut marks = vec![Mark::New; jobs.len()];
    let mut cycles: Vec<Vec<usize>> = Vec::new();
    let mut seen_sets: BTreeSet<Vec<usize>> = BTreeSet::new();
    for start in 0..jobs.len() {
        if marks[start] != Mark::New {
            continue;
        }
        // Iterative DFS: (node, next edge index).
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        marks[start] = Mark::OnStack;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if *next < edges[node].len() {
                let to = edges[node][*next];
                *next += 1;
                match marks[to] {
                    Mark::New => {
                        marks[to] = Mark::OnStack;
                        stack.push((to, 0));
                    }
                    Mark::OnStack => {
                        let from = stack.iter().position(|&(n, _)| n == to).unwrap_or(0);
                        let cycle: Vec<usize> = stack[from..].iter().map(|&(n, _)| n).collect();
                        let mut key = cycle.clone();
                        key.sort_unstable();
                        if seen_sets.insert(key) {
                            cycles.push(cycle);
                        }
                    }
                    Mark::Done => {}
                }
            } else {
                marks[node] = Mark::Done;
                stack.pop();
            }
        }
    }
    cycles
}
