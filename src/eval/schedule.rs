//! Parallel schedule: the plan's steps in levels, each step one level after the last
//! step that writes something it reads, so the steps of one level can run at once.

use std::collections::{HashMap, HashSet};

use crate::lang::plan::*;

/// Something a step writes and later steps read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Resource {
    /// A table's rows (a grouped table's groups).
    Rows(TableId),
    Column(TableId, ColumnId),
    Scalar(ScalarId),
    /// A param's value (read, never written).
    Param(ParamId),
}

/// The plan's steps by level; within a level, in plan order. Every level only reads
/// what earlier levels wrote (and the inputs).
pub fn levels(plan: &Plan) -> Vec<Vec<Step>> {
    let mut written_at: HashMap<Resource, usize> = HashMap::new();
    let mut levels: Vec<Vec<Step>> = Vec::new();
    for step in &plan.order {
        let mut reads = Vec::new();
        step_reads(plan, *step, &mut reads);
        let level = reads
            .iter()
            .filter_map(|r| written_at.get(r).map(|l| l + 1))
            .max()
            .unwrap_or(0);
        for resource in step_writes(plan, *step) {
            written_at.insert(resource, level);
        }
        if levels.len() <= level {
            levels.resize_with(level + 1, Vec::new);
        }
        levels[level].push(*step);
    }
    levels
}

/// For each column some step reads, the last level that reads it: after that level
/// the evaluator can let go of what it keeps to read the column fast.
pub fn last_read_levels(plan: &Plan, levels: &[Vec<Step>]) -> HashMap<(TableId, ColumnId), usize> {
    let mut last = HashMap::new();
    let mut reads = Vec::new();
    for (index, level) in levels.iter().enumerate() {
        for step in level {
            reads.clear();
            step_reads(plan, *step, &mut reads);
            for resource in &reads {
                if let Resource::Column(table, column) = resource {
                    last.insert((*table, *column), index);
                }
            }
        }
    }
    last
}

/// The steps whose results depend on a param `changed` picks, directly or through
/// anything they read (columns, a grouped table's rows, named values), in plan order:
/// what must be computed again when only those params take other values.
pub fn param_dependents(plan: &Plan, changed: impl Fn(ParamId) -> bool) -> Vec<Step> {
    let mut changed_resources: HashSet<Resource> = HashSet::new();
    let mut dependents = Vec::new();
    let mut reads = Vec::new();
    for step in &plan.order {
        reads.clear();
        step_reads(plan, *step, &mut reads);
        let depends = reads.iter().any(|resource| match resource {
            Resource::Param(id) => changed(*id),
            other => changed_resources.contains(other),
        });
        if depends {
            changed_resources.extend(step_writes(plan, *step));
            dependents.push(*step);
        }
    }
    dependents
}

fn step_writes(plan: &Plan, step: Step) -> Vec<Resource> {
    match step {
        Step::Group(table) => {
            let keys = plan.tables.get(table).map_or(0, TablePlan::key_count);
            let mut out = vec![Resource::Rows(table)];
            out.extend((0..keys).map(|k| Resource::Column(table, k)));
            out
        }
        Step::Analysis(table) => {
            let built = plan.tables.get(table).map_or(0, TablePlan::built_columns);
            let mut out = vec![Resource::Rows(table)];
            out.extend((0..built).map(|c| Resource::Column(table, c)));
            out
        }
        Step::Column(table, column) => vec![Resource::Column(table, column)],
        Step::Scalar(id) => vec![Resource::Scalar(id)],
        Step::Flag(_) => Vec::new(),
    }
}

fn step_reads(plan: &Plan, step: Step, out: &mut Vec<Resource>) {
    match step {
        Step::Group(table) => {
            if let Some(TablePlan {
                kind:
                    TableKind::Grouped {
                        source,
                        source_keys,
                        filter,
                        order,
                    },
                ..
            }) = plan.tables.get(table)
            {
                out.push(Resource::Rows(*source));
                out.extend(source_keys.iter().map(|k| Resource::Column(*source, *k)));
                if let Some(filter) = filter {
                    node_reads(plan, filter, Some(*source), out);
                }
                // The order is evaluated over this table's groups as they are formed
                // (its keys and rows, which this step writes, are no earlier step's).
                for key in order {
                    node_reads(plan, &key.node, Some(table), out);
                }
            }
        }
        Step::Analysis(table) => {
            if let Some(TablePlan {
                kind: TableKind::Analysis(analysis),
                ..
            }) = plan.tables.get(table)
            {
                let source = analysis.source;
                out.push(Resource::Rows(source));
                out.extend(
                    analysis
                        .source_keys
                        .iter()
                        .map(|k| Resource::Column(source, *k)),
                );
                for arg in analysis.args.iter().flatten() {
                    match arg {
                        AnalysisArgNode::EachRow(node) => node_reads(plan, node, Some(source), out),
                        AnalysisArgNode::Once(node) => node_reads(plan, node, None, out),
                    }
                }
            }
        }
        Step::Column(table, column) => {
            out.push(Resource::Rows(table));
            if let Some(ColumnOrigin::Formula(node)) = plan
                .tables
                .get(table)
                .and_then(|t| t.columns.get(column))
                .map(|c| &c.origin)
            {
                node_reads(plan, node, Some(table), out);
            }
        }
        Step::Scalar(id) => {
            if let Some(scalar) = plan.scalars.get(id) {
                node_reads(plan, &scalar.node, None, out);
            }
        }
        Step::Flag(id) => {
            if let Some(flag) = plan.flags.get(id) {
                out.push(Resource::Rows(flag.table));
                // The subject shows the key columns (or the first column).
                let shown = plan
                    .tables
                    .get(flag.table)
                    .map_or(0, |t| t.key_count().max(1).min(t.columns.len()));
                out.extend((0..shown).map(|c| Resource::Column(flag.table, c)));
                node_reads(plan, &flag.condition, Some(flag.table), out);
                for part in &flag.message {
                    if let MessagePart::Hole { node, .. } = part {
                        node_reads(plan, node, Some(flag.table), out);
                    }
                }
            }
        }
    }
}

/// What evaluating `node` over the rows of `scope` reads.
fn node_reads(plan: &Plan, node: &Node, scope: Option<TableId>, out: &mut Vec<Resource>) {
    match node {
        Node::Const(_) => {}
        Node::Param(id) => out.push(Resource::Param(*id)),
        Node::Scalar(id) => out.push(Resource::Scalar(*id)),
        Node::Column(column) => {
            if let Some(table) = scope {
                out.push(Resource::Column(table, *column));
            }
        }
        Node::Unary(_, n) | Node::Percent(n) => node_reads(plan, n, scope, out),
        Node::Binary(_, l, r) => {
            node_reads(plan, l, scope, out);
            node_reads(plan, r, scope, out);
        }
        Node::In { needle, list, .. } => {
            node_reads(plan, needle, scope, out);
            for item in list {
                node_reads(plan, item, scope, out);
            }
        }
        Node::Call { args, .. } => {
            for arg in args {
                match arg {
                    ArgNode::Value(n) => node_reads(plan, n, scope, out),
                    ArgNode::List(list) => list_reads(plan, list, scope, out),
                }
            }
        }
    }
}

fn list_reads(plan: &Plan, list: &ListNode, scope: Option<TableId>, out: &mut Vec<Resource>) {
    match list.domain {
        ListDomain::Array => {
            for element in &list.elements {
                node_reads(plan, element, None, out);
            }
        }
        ListDomain::Table(table) | ListDomain::Group { table } => {
            out.push(Resource::Rows(table));
            node_reads(plan, &list.expr, Some(table), out);
            if let Some(filter) = &list.filter {
                node_reads(plan, filter, Some(table), out);
            }
            // Another table's rows are matched to the groups by its key columns.
            if let (ListDomain::Group { .. }, Some(grouped)) = (&list.domain, scope)
                && let Some(grouped_plan) = plan.tables.get(grouped)
            {
                for key in &grouped_plan.columns[..grouped_plan.key_count()] {
                    if let Some(column) =
                        plan.tables.get(table).and_then(|t| t.column_id(&key.name))
                    {
                        out.push(Resource::Column(table, column));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::source::SourceMap;
    use crate::lang::program::check_sources;

    fn plan(rules: &str) -> Plan {
        let mut sources = SourceMap::new();
        sources.add("test.rules", rules);
        let program = check_sources(sources, &[]);
        match program.plan {
            Some(plan) => plan,
            None => panic!("rules do not check: {:?}", program.diagnostics),
        }
    }

    #[test]
    fn every_step_comes_after_what_it_reads() {
        let plan = plan(
            r#"
input Deals (channel: text, amount: number, stage: text)
input Costs (channel: text, amount: number)
Deals.won = stage = "Won"
Deals.lost = stage = "Lost"
Deals.double = amount * 2
table Channels = group Deals by channel where won
Channels.revenue = SUM(Deals.amount)
Channels.cost = SUM(Costs.amount)
Channels.roi = revenue / cost
total = SUM(Channels.roi)
flag Channels when roi > total: "{channel}"
"#,
        );
        let levels = levels(&plan);
        let level_of = |name: &str| {
            levels
                .iter()
                .position(|l| l.iter().any(|s| plan.step_name(*s) == name))
                .unwrap_or(usize::MAX)
        };
        // Independent row formulas share the first level.
        assert_eq!(level_of("Deals.won"), 0);
        assert_eq!(level_of("Deals.lost"), 0);
        assert_eq!(level_of("Deals.double"), 0);
        assert!(level_of("Channels") > level_of("Deals.won"));
        assert!(level_of("Channels.revenue") > level_of("Channels"));
        assert_eq!(level_of("Channels.cost"), level_of("Channels.revenue"));
        assert!(level_of("Channels.roi") > level_of("Channels.cost"));
        assert!(level_of("total") > level_of("Channels.roi"));
        assert!(level_of("flag on Channels") > level_of("total"));
        let steps: usize = levels.iter().map(Vec::len).sum();
        assert_eq!(steps, plan.order.len());
    }

    #[test]
    fn param_dependents_follow_what_steps_read() {
        let plan = plan(
            r#"
input Deals (channel: text, amount: number, stage: text)
input Costs (channel: text, amount: number)
param margin = 50%
param floor = 10
Deals.won = stage = "Won"
Deals.big = amount > floor
table Channels = group Deals by channel where won
table BigChannels = group Deals by channel where big
Channels.revenue = SUM(Deals.amount)
Channels.cost = SUM(Costs.amount)
Channels.large = SUM(Deals.amount where amount > floor)
Channels.profit = revenue * margin - cost
total = SUM(Channels.profit)
total_cost = SUM(Channels.cost)
BigChannels.n = COUNT(Deals)
flag Channels when profit > 0: "{channel}"
flag Channels when cost > 100: "{channel}"
flag BigChannels when n > 1: "{channel} has deals above {floor}"
"#,
        );
        let margin = plan.param_id("margin").unwrap_or(usize::MAX);
        let floor = plan.param_id("floor").unwrap_or(usize::MAX);
        let names = |changed: &[usize]| -> Vec<String> {
            let dependents = param_dependents(&plan, |id| changed.contains(&id));
            let mut names: Vec<String> = dependents
                .iter()
                .map(|step| match step {
                    Step::Flag(id) => format!("flag {id}"),
                    other => plan.step_name(*other),
                })
                .collect();
            names.sort();
            names
        };
        assert!(names(&[]).is_empty());
        assert_eq!(
            names(&[margin]),
            ["Channels.profit", "flag 0", "total"],
            "margin reaches profit, what sums it and the flag on it"
        );
        assert_eq!(
            names(&[floor]),
            [
                "BigChannels",
                "BigChannels.n",
                "Channels.large",
                "Deals.big",
                "flag 2"
            ],
            "floor reaches a column, a grouping filter (and the grouped table's columns), \
             an aggregate's where filter and a flag message"
        );
        let mut both = names(&[margin, floor]);
        let mut union = [names(&[margin]), names(&[floor])].concat();
        both.sort();
        union.sort();
        assert_eq!(both, union);
        // Whatever is computed again comes after everything it reads that changed.
        let dependents = param_dependents(&plan, |_| true);
        let position = |step: &Step| plan.order.iter().position(|s| s == step);
        assert!(
            dependents
                .windows(2)
                .all(|w| position(&w[0]) < position(&w[1]))
        );
    }
}
