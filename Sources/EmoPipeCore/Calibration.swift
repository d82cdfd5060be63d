/// How a run relates to the person it records (subject calibration). Stages that keep a
/// per-person baseline (`estimate.affect` with a calibrated model, `face.actions`) read it from
/// `StageContext.calibration`.
public enum Calibration: Sendable {
    /// No subject: stages estimate uncalibrated (a model's uncalibrated heads, or per-input
    /// running baselines).
    case none
    /// A calibration pass: stages run as uncalibrated and hand their statistics to the collector
    /// at the end of the input.
    case collect(CalibrationCollector)
    /// Estimates relative to the subject's baselines from the first frame.
    case apply(SubjectProfile)

    /// The subject's profile, when estimates are calibrated.
    public var profile: SubjectProfile? {
        if case .apply(let profile) = self { return profile }
        return nil
    }

    /// The configuration hash of a run of `graphHash` under this calibration: the pipeline's hash
    /// alone when uncalibrated, else combined with the baselines' digest, so results calibrated
    /// with different baselines never pass for each other.
    public func configHash(_ graphHash: String) -> String {
        guard let profile else { return graphHash }
        return FNV1a.hex(graphHash + "|" + profile.digest)
    }
}
