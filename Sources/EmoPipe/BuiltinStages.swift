import EmoPipeAudio
import EmoPipeCore
import EmoPipeEEG
import EmoPipeFace
import EmoPipeFusion
import EmoPipeMedia
import EmoPipeSinks
import EmoPipeVideo

/// Every stage compiled into EmoPipe. A module adds its stages to its own `all` list.
public enum BuiltinStages {
    public static let registry = StageRegistry(MediaStages.all + AudioStages.all + VideoStages.all + FaceStages.all + EEGStages.all + FusionStages.all + SinkStages.all + [ExecStage.descriptor])
}
