import ArgumentParser
import ShallowWater
import Sphere
import Statistics

// Options whose values are a fixed set parse into their library's enumeration: `--help` lists the values and
// a wrong one is refused with them (once per job: `Myriad.main`).

extension SphereGrid: ExpressibleByArgument {}
extension ShallowWaterTrajectories.InitialState: ExpressibleByArgument {}
extension AreaWeighting: ExpressibleByArgument {}
