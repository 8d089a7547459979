/// The ensemble runner's module: run configuration, plan (members over ensemble groups), perturbations
/// (noise fields, bred vectors), rollout, member output and restart. `myriad run` drives it.
public enum Ensemble {}
