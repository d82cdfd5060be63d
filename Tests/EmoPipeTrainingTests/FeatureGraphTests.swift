import EmoPipe
import EmoPipeCore
import Testing
@testable import EmoPipeTraining

/// `emopipe train --pipeline voice-affect --stream functionals` runs the stages that compute the
/// estimator's input, and nothing after it.
@Suite struct FeatureGraphTests {
    @Test func aRunPipelineIsCutAtTheStream() throws {
        let registry = BuiltinStages.registry
        let graph = try DefaultPipelines.load("voice-affect", registry: registry)
        let feeding = try #require(graph.feeding("functionals", registry: registry))
        #expect(feeding.nodes.map(\.id) == ["media", "spectral", "pitch", "mel", "encoder", "functionals", "training_rows"])
        // Every input points at the right producer after renumbering.
        let functionals = feeding.nodes[5]
        #expect(functionals.inputs.map(feeding.streamName) == ["spectral.descriptors", "spectral.mfcc", "pitch.f0", "pitch.voice", "pitch.formants", "encoder"])
        #expect(feeding.nodes.last!.inputs.map(feeding.streamName) == ["functionals"])
        #expect(graph.feeding("no_such_stream", registry: registry) == nil)
    }
}
