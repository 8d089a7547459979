/// An error that every rank of the job raises alike (a bad layout, an invalid configuration), so one
/// report is enough and no rank needs to be aborted: the job can end cleanly with status 1.
public protocol SameOnEveryRank: Error, CustomStringConvertible {}

extension LayoutError: SameOnEveryRank {}
