//! The bench pipeline end to end, on the prober's tiny sweep
//! (`tests/systems/bench-tiny.toml`): the system boots under `-icount`
//! exactly as `cargo xtask bench` boots it, its figures (with the bytes
//! each moved) are written as JSON lines, and the charts are drawn; and
//! `cargo xtask bench --profile` on the same sweep (the QEMU plugin's
//! profile of one figure and the cross-check of all). Speed is not
//! asserted here; `cargo xtask bench` measures it.

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

/// `cargo xtask bench --profile` on the tiny sweep: the QEMU plugin's
/// trace lines up with every figure (the library refuses a run whose
/// counts disagree), and a profile file names the kernel, the server and
/// the prober with plausible shares. Skipped, saying so, only when this
/// QEMU cannot load plugins.
#[test]
fn a_profile_of_a_tiny_sweep_figure_is_written_and_agrees_with_the_bench() {
    let toolchain = Toolchain::detect(Install::Never)
        .unwrap_or_else(|e| panic!("{e} (run the tests with `cargo xtask test`)"));
    let qemu = toolchain::qemu(Install::Never)
        .unwrap_or_else(|e| panic!("{e} (run the tests with `cargo xtask test`)"));
    let plugin = xtask::profile::build_plugin().unwrap_or_else(|e| panic!("{e}"));
    let system = system_tests::system_file("bench-tiny");
    let system = system.to_str().expect("a UTF-8 path");
    let written = match xtask::profile::run(
        &toolchain,
        &qemu,
        &plugin,
        Profile::Debug,
        system,
        &["tmem.put.grant_map.run4".into()],
        &xtask::workspace::target_dir().join("bench-profile-test"),
    ) {
        Ok(written) => written,
        Err(error) if error.to_string().contains("Could not load plugin") => {
            eprintln!("SKIPPED: this QEMU cannot load TCG plugins: {error}");
            return;
        }
        Err(error) => panic!("{error}"),
    };
    assert_eq!(written.profiles.len(), 1);
    let text = std::fs::read_to_string(&written.profiles[0]).unwrap();
    assert!(
        text.starts_with("profile of tmem.put.grant_map.run4 (system bench-tiny"),
        "{text}"
    );
    // The tiny sweep moves 4 pages per loop.
    assert!(text.contains("one timed loop of 4 pages"), "{text}");
    let share = |image: &str| -> f64 {
        let line = text
            .lines()
            .skip_while(|l| !l.starts_with("by image"))
            .find(|l| l.ends_with(&format!("  {image}")))
            .unwrap_or_else(|| panic!("no {image} row in\n{text}"));
        line.split_whitespace()
            .nth(1)
            .unwrap()
            .trim_end_matches('%')
            .parse()
            .unwrap()
    };
    // A grant-map put runs in the kernel (the lending), the server (the
    // store) and the prober (the call); none of them is everything.
    for image in ["kernel", "tmem", "prober"] {
        let share = share(image);
        assert!(share > 0.0 && share < 90.0, "{image}: {share}%\n{text}");
    }
    // A grant-map put copies the lent page into the store: some function
    // loads and stores at least the page's 4 KiB per page.
    assert!(
        text.lines()
            .skip_while(|l| !l.starts_with("by function"))
            .filter_map(|l| {
                let fields: Vec<f64> = l
                    .split_whitespace()
                    .take(4)
                    .filter_map(|f| f.trim_end_matches('%').parse().ok())
                    .collect();
                (fields.len() == 4).then(|| (fields[2], fields[3]))
            })
            .any(|(loaded, stored)| loaded >= 4096.0 && stored >= 4096.0),
        "{text}"
    );
    let check = std::fs::read_to_string(&written.crosscheck).unwrap();
    for mode in ["copy", "grant_map", "transfer", "inkernel"] {
        assert!(check.contains(&format!("tmem.put.{mode} ")), "{check}");
    }
}
