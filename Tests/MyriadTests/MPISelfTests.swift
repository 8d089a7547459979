import XCTest

/// The MPI layer in real jobs at 1, 2 and 4 ranks: every collective, the process grid, parallel HDF5,
/// and the failure path. Each launch runs `myriad selftest SUITE`, whose ranks agree on pass/fail.
final class MPISelfTests: XCTestCase {
    func testCollectivesOn1Rank() throws { try expectPass(ranks: 1, ["selftest", "collectives"], checks: 79) }
    func testCollectivesOn2Ranks() throws { try expectPass(ranks: 2, ["selftest", "collectives"], checks: 158) }
    func testCollectivesOn4Ranks() throws { try expectPass(ranks: 4, ["selftest", "collectives"], checks: 316) }

    /// `Communicator.transpose` against the whole array gathered on every rank: every pair of axes, uneven
    /// and empty parts, strided layouts, 4-, 8- and 16-byte elements (268 checks per rank).
    func testDistributedTransposeOn1Rank() throws { try expectPass(ranks: 1, ["selftest", "transpose"], checks: 268) }
    func testDistributedTransposeOn2Ranks() throws { try expectPass(ranks: 2, ["selftest", "transpose"], checks: 536) }
    func testDistributedTransposeOn4Ranks() throws { try expectPass(ranks: 4, ["selftest", "transpose"], checks: 1072) }

    func testGridLayoutsOn1Rank() throws {
        try expectPass(ranks: 1, ["selftest", "grid", "--layout", "h=1,w=1,channel=1"])
    }

    func testGridLayoutsOn2Ranks() throws {
        for layout in ["h=1,w=1,channel=1", "h=2", "w=2", "channel=2"] {
            try expectPass(ranks: 2, ["selftest", "grid", "--layout", layout])
        }
    }

    func testGridLayoutsOn4Ranks() throws {
        for layout in ["h=1", "h=2", "w=2", "channel=2", "h=2,w=2", "h=2,channel=2", "w=2,channel=2", "h=4", "w=4"] {
            try expectPass(ranks: 4, ["selftest", "grid", "--layout", layout])
        }
    }

    func testParallelHDF5On1Rank() throws { try expectPass(ranks: 1, ["selftest", "hdf5", "--directory", scratch()]) }
    func testParallelHDF5On2Ranks() throws { try expectPass(ranks: 2, ["selftest", "hdf5", "--directory", scratch()]) }
    func testParallelHDF5On4Ranks() throws {
        let directory = try scratch()
        try expectPass(ranks: 4, ["selftest", "hdf5", "--directory", directory])
        // The netCDF-4/CF file the 4 ranks wrote collectively, as xarray sees it.
        let script = """
        import sys, numpy as np, xarray as xr
        ds = xr.open_dataset(sys.argv[1], engine="netcdf4")
        t = ds["t2m"]
        assert t.dims == ("member", "lat", "lon") and t.shape == (9, 6, 8), (t.dims, t.shape)
        m, i, j = np.meshgrid(np.arange(9), np.arange(6), np.arange(8), indexing="ij")
        assert (t.values == 100 * m + 10 * i + j).all()
        assert list(ds.lat.values) == [75, 45, 15, -15, -45, -75] and t.attrs["units"] == "K"
        print("ok")
        """
        let output = try PythonReader.run(script, arguments: [directory + "/myriad-selftest-netcdf-4.nc"])
        XCTAssertEqual(output, "ok\n")
    }

    /// One rank fails while the others wait in a barrier (and would then sleep two minutes): the whole
    /// job must exit non-zero within seconds, with the failing rank's message.
    func testFailingRankStopsTheJob() throws {
        for failRank in [0, 3] {
            let result = try MPIJob.run(ranks: 4, ["selftest", "fail", "--fail-rank", "\(failRank)"], timeout: 60)
            XCTAssertFalse(result.timedOut)
            XCTAssertNotEqual(result.status, 0)
            XCTAssertLessThan(result.seconds, 20, "the job took \(result.seconds) s to stop")
            XCTAssertTrue(result.stderr.contains("[rank \(failRank)] myriad: error: injected failure on rank \(failRank)"),
                          result.stderr)
        }
    }

    /// A grid suite whose checks fail must fail the job: the harness can tell.
    func testLayoutThatDoesNotDivideFailsCleanly() throws {
        let result = try MPIJob.run(ranks: 2, ["info", "--layout", "h=4"], timeout: 60)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("the world of 2 ranks does not divide into model groups of 4 ranks"),
                      result.stderr)
        // Reported once (by rank 0), not once per rank.
        XCTAssertEqual(result.stderr.components(separatedBy: "does not divide").count - 1, 1, result.stderr)
    }

    // MARK: - Helpers

    private func expectPass(ranks: Int, _ arguments: [String], checks: Int? = nil,
                            file: StaticString = #filePath, line: UInt = #line) throws {
        let out = try MPIJob.succeed(ranks: ranks, arguments, file: file, line: line)
        let suite = arguments[1]
        let pattern = "selftest \(suite): " + (checks.map { "\($0) " } ?? "")
        XCTAssertTrue(out.contains(pattern) && out.contains("checks passed on \(ranks) rank"),
                      "unexpected report: \(out)", file: file, line: line)
    }

    private func scratch() throws -> String { try makeScratchDirectory("myriad-test").path }
}
