import Foundation
import XCTest

/// `myriad report` on a small run's files: every expected figure is written and is not blank, index.html
/// shows every figure and the plan; a run without truth or members gets notes for the figures it cannot
/// have; without the Python environment the command says how to install it; headless Chromium renders the
/// page (where Debian's chromium is installed).
final class ReportCommandTests: XCTestCase {
    static let root = ReportPython.root

    /// 2 checkpoints × 1 initial time × 4 bred-vector members, 24 h; statistics with or without a truth;
    /// with `log` the run's log is saved as run.log beside its files (as launch/run does).
    func run(in scratch: URL, truth: Bool, members: Bool, log: Bool = false) throws -> (directory: URL, configuration: String) {
        let states = try DemoStates.path()
        let out = scratch.appendingPathComponent("out")
        let yaml = """
            checkpoints: [\(Self.root.appendingPathComponent("data/demo/demo-sfno-0.h5").path), \(Self.root.appendingPathComponent("data/demo/demo-sfno-1.h5").path)]
            initial_conditions:
              file: \(states)
              times: ["2000-01-02T00:00:00Z"]
            lead_hours: 24
            members: 4
            control: true
            perturbation:
              kind: bred-vector
              seeded_variables: [height]
              target_rmse: {height: 13.7, u: 0.457, v: 0.438, vorticity: 3.78e-7}
            seed: 7
            output:
              directory: \(out.path)
              members: \(members)
              variables: [height, u]
              lead_hours: [0, 12, 24]
            statistics:
            \(truth ? "  truth: \(states)\n  thresholds: {height: [10000, 10020]}" : "  enabled: true")
              quantiles: [0.1, 0.5, 0.9]
              spectra: true
            """
        let path = scratch.appendingPathComponent("run.yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try MPIJob.run(ranks: 2, ["run", path])
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        if log { try (result.stdout + result.stderr).write(to: out.appendingPathComponent("run.log"), atomically: true, encoding: .utf8) }
        return (out, path)
    }

    /// Runs `myriad report` (no MPI) and returns its output, failing on a non-zero status.
    @discardableResult
    func report(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = try ReportPython.launch(MPIJob.executable, ["report"] + arguments)
        XCTAssertEqual(result.status, 0, "myriad report \(arguments.joined(separator: " ")):\n\(result.stdout)\(result.stderr)",
                       file: file, line: line)
        return result.stdout
    }

    /// Checks with the report's own Python: the figures exist, are not blank (pixel variance above a floor, and
    /// coloured pixels — the data — beyond a few legend marks),
    /// index.html references each of them and no other, and each note names its reason. Prints the figure names.
    func checkPage(_ report: URL, python: String, expected: [String], notes: [String]) throws {
        let script = """
            import html, os, re, sys
            import numpy as np
            import matplotlib.image as image
            directory, expected, notes = sys.argv[1], sys.argv[2].split(","), [n for n in sys.argv[3].split("|") if n]
            page = open(os.path.join(directory, "index.html")).read()
            shown = re.findall(r'<img src="([^"]+)"', page)
            pngs = sorted(f for f in os.listdir(directory) if f.endswith(".png"))
            assert sorted(shown) == pngs, ("the page shows", shown, "the directory holds", pngs)
            missing = [f for f in expected if f not in pngs]
            assert not missing, ("figures missing", missing, "written", pngs)
            for name in pngs:
                pixels = image.imread(os.path.join(directory, name))[..., :3]
                assert pixels.shape[0] > 100 and pixels.shape[1] > 100, (name, pixels.shape)
                assert pixels.var() > 1e-3, (name, "is blank: pixel variance", pixels.var())
                # Data are drawn in colour; axes, labels and an empty frame are black, grey and white.
                coloured = ((pixels.max(-1) - pixels.min(-1)) > 0.25).mean()
                assert coloured > 0.003, (name, "has axes but no data drawn: coloured share", coloured)
            text = html.unescape(page)
            assert "<h2>Plan</h2>" in page and "members per initial time" in text and "checkpoints" in text
            for note in notes:
                assert note in text, ("the page lacks the note", note)
            print(" ".join(pngs))
            """
        let result = try ReportPython.launch(python, ["-c", script, report.path, expected.joined(separator: ","),
                                                      notes.joined(separator: "|")])
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
    }

    func testReportOfARunWithTruthAndMembersHasEveryFigure() throws {
        let python = try ReportPython.interpreter()
        let scratch = try makeScratchDirectory("myriad-report")
        let (out, configuration) = try run(in: scratch, truth: true, members: true, log: true)
        let printed = try report([out.path, "--config", configuration])
        let page = out.appendingPathComponent("report")
        XCTAssertTrue(printed.contains(page.appendingPathComponent("index.html").path), printed)
        var expected = ["spread_rmse", "spread_skill", "crps", "outliers", "reliability_height"]
        for v in ["height", "u"] {
            expected += ["map_\(v)_12h", "map_\(v)_24h", "plume_\(v)", "rank_histogram_\(v)", "spectrum_\(v)"]
        }
        try checkPage(page, python: python, expected: expected.map { $0 + ".png" },
                      notes: ["timings (rank 0, wall / CPU) (run.log)", "run time (run.log)", "layout (run.log)"])
        let html = try String(contentsOf: page.appendingPathComponent("index.html"), encoding: .utf8)
        XCTAssertFalse(html.contains("Not drawn"), "a run with truth and members draws every figure:\n\(html)")
        XCTAssertFalse(html.contains("no truth for this valid time"), "the maps show the truth and the mean's error:\n\(html)")
        try renderInChromium(page)

        // A directory with one of the files: the figures of that file, notes for the rest.
        let scoreFigures = ["spread_rmse", "spread_skill", "crps", "outliers", "reliability_height", "rank_histogram_height", "rank_histogram_u"]
        for (name, figures) in [("members.h5", ["plume_height", "plume_u"]), ("scores.h5", scoreFigures)] {
            let alone = scratch.appendingPathComponent("only-\(name)")
            try FileManager.default.createDirectory(at: alone, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: out.appendingPathComponent(name), to: alone.appendingPathComponent(name))
            try report([alone.path, "--config", configuration])
            let subset = alone.appendingPathComponent("report")
            try checkPage(subset, python: python, expected: figures.map { $0 + ".png" }, notes: ["no statistics.h5 in the run"])
            let drawn = try FileManager.default.contentsOfDirectory(atPath: subset.path).filter { $0.hasSuffix(".png") }
            XCTAssertEqual(Set(drawn), Set(figures.map { $0 + ".png" }), name)
        }
    }

    /// A derived variable (`output.derived`) gets the figures of a channel; its maps say why they have no truth.
    func testADerivedVariableIsReportedLikeAChannel() throws {
        let python = try ReportPython.interpreter()
        let scratch = try makeScratchDirectory("myriad-report-derived")
        let states = try DemoStates.path()
        let out = scratch.appendingPathComponent("out")
        let path = scratch.appendingPathComponent("run.yaml").path
        try """
            model: shallow-water
            initial_conditions: {file: \(states), times: ["2000-01-02T00:00:00Z"]}
            lead_hours: 12
            members: 8
            perturbation: {kind: spherical-gaussian, amplitude: 0.05, centred_pairs: true}
            output: {directory: \(out.path), variables: [height], derived: [ws]}
            statistics: {truth: \(states), thresholds: {ws: [20]}}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        try MPIJob.succeed(ranks: 2, ["run", path])
        _ = try report([out.path, "--config", path])
        let page = out.appendingPathComponent("report")
        let expected = ["map_ws_6h", "map_ws_12h", "plume_ws", "rank_histogram_ws", "spectrum_ws", "reliability_ws"]
        try checkPage(page, python: python, expected: expected.map { $0 + ".png" }, notes: [])
        let html = try String(contentsOf: page.appendingPathComponent("index.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("ws (m s-1)"), "the plan lists ws with its units")
        XCTAssertTrue(html.contains("a derived variable, output.derived: the truth file holds no field of it"), html)
    }

    func testReportWithoutTruthOrMembersSaysWhatIsMissing() throws {
        let python = try ReportPython.interpreter()
        let scratch = try makeScratchDirectory("myriad-report-bare")
        let (out, configuration) = try run(in: scratch, truth: false, members: false)
        try report([out.path, "--config", configuration])
        let page = out.appendingPathComponent("report")
        var expected: [String] = []
        for v in ["height", "u"] { expected += ["map_\(v)_12h", "map_\(v)_24h", "spectrum_\(v)"] }
        try checkPage(page, python: python, expected: expected.map { $0 + ".png" },
                      notes: ["no members.h5 in the run", "no scores.h5 in the run", "timings", "not in the run's files"])
        let figures = try FileManager.default.contentsOfDirectory(atPath: page.path).filter { $0.hasSuffix(".png") }
        XCTAssertEqual(Set(figures), Set(expected.map { $0 + ".png" }), "only the figures the files have data for")
    }

    func testReportWithoutThePythonEnvironmentSaysHowToInstallIt() throws {
        let scratch = try makeScratchDirectory("myriad-report-no-python")
        let result = try ReportPython.launch(MPIJob.executable, ["report", scratch.path],
                                             environment: ["MYRIAD_PYTHON": scratch.appendingPathComponent("no-python").path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("launch/setup") && result.stderr.contains("tools/report/requirements.txt"), result.stderr)
        XCTAssertFalse(result.stderr.contains("Fatal error"), result.stderr)
    }

    func testReportOfADirectoryWithoutRunFilesOrWithAnUnreadableOneFailsWithTheReason() throws {
        _ = try ReportPython.interpreter()
        let scratch = try makeScratchDirectory("myriad-report-empty")
        let result = try ReportPython.launch(MPIJob.executable, ["report", scratch.path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("holds none of statistics.h5, scores.h5, members.h5"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("report/index.html").path))

        let junk = scratch.appendingPathComponent("statistics.h5")
        try "not HDF5".write(to: junk, atomically: true, encoding: .utf8)
        let unreadable = try ReportPython.launch(MPIJob.executable, ["report", scratch.path])
        XCTAssertNotEqual(unreadable.status, 0)
        XCTAssertTrue(unreadable.stderr.contains("\(junk.path) cannot be read as netCDF-4"), unreadable.stderr)
        XCTAssertFalse(unreadable.stderr.contains("Traceback"), unreadable.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("report/index.html").path))
    }

    /// Headless Chromium draws the page (figures included) into a screenshot that is not blank. Skipped where
    /// Debian's chromium is not installed (launch/setup installs it as root).
    func renderInChromium(_ page: URL) throws {
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            print("ReportCommandTests: no chromium; render by hand: chromium --headless --no-sandbox --screenshot=shot.png "
                  + "--window-size=1400,2400 file://\(page.path)/index.html")
            return
        }
        let shot = page.deletingLastPathComponent().appendingPathComponent("screenshot.png")
        let result = try ReportPython.launch(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                                        "--screenshot=\(shot.path)", "--window-size=1400,2400",
                                                        "file://\(page.path)/index.html"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let python = try ReportPython.interpreter()
        let check = try ReportPython.launch(python, ["-c", """
            import sys, numpy as np, matplotlib.image as image
            pixels = image.imread(sys.argv[1])[..., :3]
            # The page's figures are most of it: a blank or text-only page has far less variance than this.
            assert pixels.shape[0] >= 2000 and pixels.var() > 5e-3, (pixels.shape, pixels.var())
            print(pixels.shape, pixels.var())
            """, shot.path])
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
    }
}
