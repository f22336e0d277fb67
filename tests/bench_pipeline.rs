//! The bench pipeline end to end, on the prober's tiny sweep
//! (`tests/systems/bench-tiny.toml`): the system boots under `-icount`
//! exactly as `cargo xtask bench` boots it, its figures (with the bytes
//! each moved) are written as JSON lines, and the charts are drawn. Speed
//! is not asserted here; `cargo xtask bench` measures it.

use xtask::bench::{self, Series};
use xtask::bench_plot;
use xtask::image::Profile;
use xtask::toolchain::{self, Install, Toolchain};

#[test]
fn a_tiny_sweep_writes_figures_with_traffic_and_draws_its_charts() {
    let toolchain = Toolchain::detect(Install::Never)
        .unwrap_or_else(|e| panic!("{e} (run the tests with `cargo xtask test`)"));
    let qemu = toolchain::qemu(Install::Never)
        .unwrap_or_else(|e| panic!("{e} (run the tests with `cargo xtask test`)"));
    let system = system_tests::system_file("bench-tiny");
    let system = system.to_str().expect("a UTF-8 path");
    let figures = bench::run_systems(&toolchain, &qemu, Profile::Debug, &[system])
        .unwrap_or_else(|e| panic!("{e}"));

    for mode in ["copy", "grant_map", "transfer"] {
        for op in ["put", "get", "get_exclusive", "flush"] {
            let name = format!("tmem.{op}.{mode}");
            let figure = figures
                .iter()
                .find(|f| f.name == name)
                .unwrap_or_else(|| panic!("no {name} in {figures:#?}"));
            assert!(figure.value > 0, "{name}");
            assert!(figure.traffic.is_some(), "{name} has no traffic");
        }
        for run in [1, 4] {
            let name = format!("tmem.put.{mode}.run{run}");
            let figure = figures.iter().find(|f| f.name == name).unwrap();
            assert_eq!(Series::of(&name).unwrap().pages_per_call, Some(run));
            // Every mode reads each page's 4 KiB at least once.
            assert!(figure.traffic.unwrap().read >= 4096, "{name}");
        }
    }
    let copy = |name: &str| figures.iter().find(|f| f.name == name).unwrap().traffic;
    assert_eq!(
        copy("tmem.get.copy").unwrap().written,
        2 * 4096,
        "a copy-mode get copies the page twice: out of the pool, out of the window"
    );

    let dir = xtask::workspace::target_dir().join("bench-pipeline-test");
    let _ = std::fs::remove_dir_all(&dir);
    let results = dir.join("results.jsonl");
    bench::append_results(&figures, &results).unwrap();
    let lines = std::fs::read_to_string(&results).unwrap();
    assert_eq!(lines.lines().count(), figures.len());
    let run: serde_json::Value = lines
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .find(|line| line["name"] == "tmem.get.transfer.run4")
        .expect("the transfer run figure");
    assert_eq!(run["pages_per_call"], 4);
    assert!(run["bytes_read"].as_u64().is_some());

    let charts = bench_plot::write_all(&figures, &dir).unwrap();
    assert_eq!(charts.len(), 2, "{charts:?}");
    for chart in charts {
        let svg = std::fs::read_to_string(&chart).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("transfer"),
            "{chart:?}"
        );
    }
}
