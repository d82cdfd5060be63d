import EmoPipeCore

/// The fusion stages this module provides, for the stage registry.
public enum FusionStages {
    public static let all: [StageDescriptor] = [
        TranscriptSource.descriptor, TextCuesStage.descriptor, TextAmbivalenceStage.descriptor, AffectEstimateStage.descriptor, AffectFusionStage.descriptor,
        AmbivalenceStage.descriptor, RecordingAggregateStage.descriptor,
    ]
}
