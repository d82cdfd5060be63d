import EmoPipeCore

/// The audio stages this module provides, for the stage registry.
public enum AudioStages {
    public static let all: [StageDescriptor] = [AudioLevelStage.descriptor, AudioSpectralStage.descriptor, AudioPitchStage.descriptor, AudioFunctionalsStage.descriptor, AudioVADStage.descriptor, AudioEncoderStage.descriptor, AudioTranscribeStage.descriptor]
}
