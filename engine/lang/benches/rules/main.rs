//! The rule language against Rego (regorus) on one image and one pack of
//! 1,000 rules and 10,000 advisories, written in both languages.
//!
//! `cargo bench -p winspect-lang --features bench-regorus --bench rules`. Before timing, both engines
//! evaluate the image once and must report the same findings (rule id and
//! message); the run stops with a diff if they do not.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_debug_implementations
)]

mod advisories;
mod checks;
mod image;

use std::collections::BTreeSet;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use winspect_inventory::{Date, Inventory};
use winspect_lang::{CheckOptions, EvalOptions, Explain, Program, SourceMap, check, render};

use advisories::Advisory;
use checks::Twin;

/// A small deterministic generator (splitmix64), so every run builds the
/// same corpus.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

const RULES: usize = 1_000;
const DENY: &str = "data.winspect.deny";

struct Corpus {
    inventory: Inventory,
    rules: Vec<Twin>,
    advisories: Vec<Advisory>,
}

fn corpus() -> Corpus {
    let mut rng = Rng(0x00c0_ffee);
    let rules = (0..RULES).map(|n| checks::rule(n, &mut rng)).collect();
    let advisories = (0..advisories::COUNT)
        .map(|n| advisories::advisory(n, &mut rng))
        .collect();
    Corpus {
        inventory: image::inventory(),
        rules,
        advisories,
    }
}

/// The winspect sources: a hardening pack, and the advisories split into a
/// Windows pack and a .NET pack as feeds ship them.
fn winspect_sources(rules: &[Twin], advisories: &[&Advisory]) -> SourceMap {
    let mut sources = SourceMap::new();
    if !rules.is_empty() {
        let pack = sources.add_pack("bench-hardening");
        let mut text = String::from(checks::WINSPECT_HEADER);
        for rule in rules {
            text.push_str(&rule.winspect);
        }
        sources.add_pack_file(pack, "hardening.rules", text);
    }
    let (windows, dotnet): (Vec<&Advisory>, Vec<&Advisory>) =
        advisories.iter().partition(|a| !a.windows.is_empty());
    for (name, list) in [
        ("bench-windows-advisories", windows),
        ("bench-dotnet-advisories", dotnet),
    ] {
        if list.is_empty() {
            continue;
        }
        let pack = sources.add_pack(name);
        let mut text = format!("pack \"{name}\" version \"1.0.0\"\n\n");
        for adv in list {
            text.push_str(&adv.winspect());
        }
        sources.add_pack_file(pack, "advisories.rules", text);
    }
    sources
}

fn check_options() -> CheckOptions<'static> {
    CheckOptions {
        today: Some(today()),
        ..CheckOptions::default()
    }
}

fn today() -> Date {
    Date::parse("2026-01-15").unwrap()
}

fn compile(sources: &SourceMap) -> Program {
    let checked = check(sources, &check_options());
    match checked.program {
        Some(program) => program,
        None => {
            let errors: Vec<String> = checked
                .diagnostics
                .iter()
                .take(20)
                .map(|d| render(sources, d))
                .collect();
            panic!("the generated pack does not check:\n{}", errors.join("\n"));
        }
    }
}

fn eval_options() -> EvalOptions {
    EvalOptions {
        now: today(),
        explain: Explain::None,
        packs: None,
    }
}

fn rego_policy(rules: &[Twin], with_advisories: bool) -> String {
    let mut text = String::from(checks::REGO_HEADER);
    text.push('\n');
    for rule in rules {
        text.push_str(&rule.rego);
    }
    if with_advisories {
        text.push_str(advisories::REGO_RULES);
    }
    text
}

fn rego_data_json(advisories: &[&Advisory]) -> String {
    serde_json::json!({
        "advisories": advisories.iter().map(|a| a.rego()).collect::<Vec<_>>()
    })
    .to_string()
}

fn rego_data(advisories: &[&Advisory]) -> regorus::Value {
    regorus::Value::from_json_str(&rego_data_json(advisories)).unwrap()
}

/// A regorus engine with the policy and the data loaded and prepared: what
/// a service keeps between requests.
fn rego_engine(policy: &str, data: regorus::Value, input: &regorus::Value) -> regorus::Engine {
    let mut engine = regorus::Engine::new();
    // As OPA does: a built-in's error makes its expression undefined (a
    // version that does not parse does not compare) instead of failing the
    // whole evaluation.
    engine.set_strict_builtin_errors(false);
    engine
        .add_policy("winspect.rego".into(), policy.into())
        .unwrap_or_else(|e| panic!("the generated Rego does not parse: {e}"));
    engine.add_data(data).unwrap();
    engine.set_input(input.clone());
    // The first evaluation analyses and schedules the modules.
    engine.eval_rule(DENY.into()).unwrap();
    engine
}

/// The same policy and data in regorus's bytecode VM (RVM), compiled from
/// a prepared engine.
fn rego_vm(
    engine: &mut regorus::Engine,
    data: regorus::Value,
) -> Result<regorus::rvm::vm::RegoVM, String> {
    let entry = regorus::Rc::<str>::from(DENY);
    let policy = engine
        .compile_with_entrypoint(&entry)
        .map_err(|e| e.to_string())?;
    let program =
        regorus::languages::rego::compiler::Compiler::compile_from_policy(&policy, &[DENY])
            .map_err(|e| e.to_string())?;
    let mut vm = regorus::rvm::vm::RegoVM::new();
    // Its default budget (25,000 instructions) is far below what 1,000
    // rules and 10,000 advisories take.
    vm.set_max_instructions(usize::MAX);
    vm.load_program(program);
    vm.set_data(data).map_err(|e| e.to_string())?;
    Ok(vm)
}

type Findings = BTreeSet<(String, String)>;

fn winspect_findings(program: &Program, inventory: &Inventory) -> Findings {
    let result = program.evaluate(&program.prepare(inventory), &eval_options());
    result
        .findings
        .into_iter()
        .map(|f| (f.rule, f.message))
        .collect()
}

fn rego_findings(engine: &mut regorus::Engine, input: &regorus::Value) -> Findings {
    engine.set_input(input.clone());
    findings_of(&engine.eval_rule(DENY.into()).unwrap())
}

fn vm_findings(
    vm: &mut regorus::rvm::vm::RegoVM,
    input: &regorus::Value,
) -> Result<Findings, String> {
    vm.set_input(input.clone());
    Ok(findings_of(&vm.execute().map_err(|e| e.to_string())?))
}

fn findings_of(deny: &regorus::Value) -> Findings {
    let set = deny
        .as_set()
        .unwrap_or_else(|_| panic!("`deny` is not a set: {deny}"));
    set.iter()
        .map(|f| {
            (
                f["id"].as_string().unwrap().to_string(),
                f["msg"].as_string().unwrap().to_string(),
            )
        })
        .collect()
}

/// Panics with both sides' extra findings when the engines disagree.
fn same_findings(what: &str, ours: &Findings, theirs: &Findings) {
    if ours == theirs {
        return;
    }
    let only_ours: Vec<String> = ours
        .difference(theirs)
        .map(|(id, m)| format!("  + {id}: {m}"))
        .collect();
    let only_theirs: Vec<String> = theirs
        .difference(ours)
        .map(|(id, m)| format!("  - {id}: {m}"))
        .collect();
    panic!(
        "{what}: winspect and regorus disagree ({} vs {} findings)\nonly winspect (+):\n{}\nonly regorus (-):\n{}",
        ours.len(),
        theirs.len(),
        only_ours.join("\n"),
        only_theirs.join("\n")
    );
}

fn benches(c: &mut Criterion) {
    let corpus = corpus();
    let all: Vec<&Advisory> = corpus.advisories.iter().collect();
    let relevant: Vec<&Advisory> = corpus.advisories.iter().filter(|a| a.relevant).collect();
    let inventory = &corpus.inventory;
    let input_json = serde_json::to_string(inventory).unwrap();
    let input = regorus::Value::from_json_str(&input_json).unwrap();
    // Hundreds of distinct patterns: let regorus keep every compiled one, as
    // winspect compiles each once.
    regorus::cache::configure(regorus::cache::Config {
        regex: 4_096,
        glob: 4_096,
    });

    let sources = winspect_sources(&corpus.rules, &all);
    let source_bytes: usize = sources.files().map(|(_, f)| f.text.len()).sum();
    let program = compile(&sources);
    let rules_only = compile(&winspect_sources(&corpus.rules, &[]));
    let advisories_all = compile(&winspect_sources(&[], &all));
    let advisories_relevant = compile(&winspect_sources(&[], &relevant));

    let policy = rego_policy(&corpus.rules, true);
    let advisory_policy = rego_policy(&[], true);
    let rules_policy = rego_policy(&corpus.rules, false);
    let mut engine_rules = rego_engine(&rules_policy, rego_data(&[]), &input);
    let mut engine = rego_engine(&policy, rego_data(&all), &input);
    let mut engine_all = rego_engine(&advisory_policy, rego_data(&all), &input);
    let mut engine_relevant = rego_engine(&advisory_policy, rego_data(&relevant), &input);

    // The correctness guard: the same findings from both engines.
    let ours = winspect_findings(&program, inventory);
    same_findings(
        "rules and advisories",
        &ours,
        &rego_findings(&mut engine, &input),
    );
    let ours_rules = winspect_findings(&rules_only, inventory);
    same_findings(
        "1,000 rules",
        &ours_rules,
        &rego_findings(&mut engine_rules, &input),
    );
    let ours_all = winspect_findings(&advisories_all, inventory);
    same_findings(
        "10,000 advisories",
        &ours_all,
        &rego_findings(&mut engine_all, &input),
    );
    let ours_relevant = winspect_findings(&advisories_relevant, inventory);
    same_findings(
        "relevant advisories",
        &ours_relevant,
        &rego_findings(&mut engine_relevant, &input),
    );
    assert_eq!(
        ours_all, ours_relevant,
        "the relevant advisories are the ones that can fire"
    );
    // regorus's bytecode VM too, where it compiles this policy and agrees.
    let vm = rego_vm(&mut engine, rego_data(&all)).and_then(|mut vm| {
        let found = vm_findings(&mut vm, &input)?;
        if found == ours {
            Ok(vm)
        } else {
            Err(format!(
                "it reports {} findings, not winspect's {}: it misses {:?} and adds {:?}",
                found.len(),
                ours.len(),
                ours.difference(&found).collect::<Vec<_>>(),
                found.difference(&ours).collect::<Vec<_>>()
            ))
        }
    });
    let mut vm = match vm {
        Ok(vm) => Some(vm),
        Err(e) => {
            eprintln!("regorus's RVM is left out: {e}");
            None
        }
    };

    let fired: BTreeSet<&str> = ours.iter().map(|(id, _)| id.as_str()).collect();
    let rules_fired = corpus
        .rules
        .iter()
        .filter(|r| fired.contains(r.id.as_str()))
        .count();
    eprintln!(
        "corpus: {} rules and {} advisories ({} relevant to the image) in {} KiB of text \
         (Rego: {} KiB of policy, {} KiB of data); an image of {} files ({} KiB as JSON). \
         Both engines report {} findings: {} from {} rules, {} from {} advisories",
        program.rule_count(),
        program.advisory_count(),
        relevant.len(),
        source_bytes / 1024,
        policy.len() / 1024,
        rego_data_json(&all).len() / 1024,
        inventory.files.len(),
        input_json.len() / 1024,
        ours.len(),
        ours.len() - ours_all.len(),
        rules_fired,
        ours_all.len(),
        fired.len() - rules_fired,
    );

    let options = eval_options();
    let prepared = program.prepare(inventory);

    let mut group = c.benchmark_group("compile");
    group.sample_size(10);
    group.bench_function("winspect/check+compile", |b| {
        b.iter(|| compile(black_box(&sources)))
    });
    group.finish();

    let mut group = c.benchmark_group("evaluate");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("winspect/prepared", |b| {
        b.iter(|| program.evaluate(black_box(&prepared), &options))
    });
    group.bench_function("winspect/prepare+evaluate", |b| {
        b.iter(|| program.evaluate(&program.prepare(black_box(inventory)), &options))
    });
    group.bench_function("regorus/input-value", |b| {
        b.iter(|| {
            engine.set_input(black_box(input.clone()));
            engine.eval_rule(DENY.into()).unwrap()
        })
    });
    if let Some(vm) = vm.as_mut() {
        group.bench_function("regorus-rvm/input-value", |b| {
            b.iter(|| {
                vm.set_input(black_box(input.clone()));
                vm.execute().unwrap()
            })
        });
    }
    group.bench_function("regorus/input-json", |b| {
        b.iter(|| {
            engine.set_input(regorus::Value::from_json_str(black_box(&input_json)).unwrap());
            engine.eval_rule(DENY.into()).unwrap()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("rules");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    let prepared_rules = rules_only.prepare(inventory);
    group.bench_function("winspect/1000", |b| {
        b.iter(|| rules_only.evaluate(black_box(&prepared_rules), &options))
    });
    group.bench_function("regorus/1000", |b| {
        b.iter(|| {
            engine_rules.set_input(black_box(input.clone()));
            engine_rules.eval_rule(DENY.into()).unwrap()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("advisories");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    let prepared_all = advisories_all.prepare(inventory);
    let prepared_relevant = advisories_relevant.prepare(inventory);
    group.bench_function("winspect/10000", |b| {
        b.iter(|| advisories_all.evaluate(black_box(&prepared_all), &options))
    });
    group.bench_function(format!("winspect/{}", relevant.len()), |b| {
        b.iter(|| advisories_relevant.evaluate(black_box(&prepared_relevant), &options))
    });
    group.bench_function("regorus/10000", |b| {
        b.iter(|| {
            engine_all.set_input(black_box(input.clone()));
            engine_all.eval_rule(DENY.into()).unwrap()
        })
    });
    group.bench_function(format!("regorus/{}", relevant.len()), |b| {
        b.iter(|| {
            engine_relevant.set_input(black_box(input.clone()));
            engine_relevant.eval_rule(DENY.into()).unwrap()
        })
    });
    group.finish();
}

criterion_group!(rules, benches);
criterion_main!(rules);
