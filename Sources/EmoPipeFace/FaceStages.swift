import EmoPipeCore

/// The face stages this module provides, for the stage registry.
public enum FaceStages {
    public static let all: [StageDescriptor] = [FaceLandmarksStage.descriptor, FacePoseStage.descriptor, FaceActionsStage.descriptor, FaceCuesStage.descriptor, FaceExpressionStage.descriptor]
}
