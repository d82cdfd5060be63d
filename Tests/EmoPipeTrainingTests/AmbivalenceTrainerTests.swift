import EmoPipeCore
import Foundation
import Testing
@testable import EmoPipeFusion
@testable import EmoPipeTraining

@Suite struct AmbivalenceTrainerTests {
    /// A seeded generator, so the synthetic data are the same every run.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
        mutating func uniform() -> Double { Double(next() % 1_000_000) / 1_000_000 }
    }

    /// The fit is the penalised optimum: the gradient of the weighted loss plus the penalty is ~0.
    @Test func logisticRegressionReachesTheOptimum() {
        var generator = Generator(state: 7)
        var rows: [SparseLogisticRegression.Row] = [], labels: [Bool] = []
        for _ in 0..<200 {
            let a = generator.uniform() * 2 - 1, b = generator.uniform() * 2 - 1
            rows.append([(0, a), (2, b)])
            labels.append(1.5 * a - b + 0.3 * (generator.uniform() - 0.5) > 0.2)
        }
        let l2 = 0.01
        let model = SparseLogisticRegression.fit(rows: rows, labels: labels, columns: 3, l2: l2, iterations: 5000)
        let positives = Double(labels.filter { $0 }.count), n = Double(labels.count)
        var gradient = [Double](repeating: 0, count: 3), gradientB = 0.0, total = 0.0
        for (row, label) in zip(rows, labels) {
            let weight = n / (2 * (label ? positives : n - positives))
            let error = weight * (model.probability(row) - (label ? 1 : 0))
            total += weight
            gradientB += error
            for entry in row { gradient[entry.index] += error * entry.value }
        }
        for j in 0..<3 { #expect(abs(gradient[j] / total + l2 * model.coefficients[j]) < 1e-6) }
        #expect(abs(gradientB / total) < 1e-6)
        #expect(model.coefficients[1] == 0)           // an empty column stays 0
        #expect(model.coefficients[0] > 0 && model.coefficients[2] < 0)
    }

    @Test func personFoldsNeverSplitAPersonAndBalanceAnswers() {
        var groups: [String] = []
        for person in 0..<23 { groups += Array(repeating: "p\(person)", count: 1 + person % 7) }
        let folds = AmbivalenceTrainer.personFolds(groups, folds: 5)
        for person in Set(groups) { #expect(Set(zip(groups, folds).filter { $0.0 == person }.map(\.1)).count == 1) }
        let sizes = (0..<5).map { fold in folds.filter { $0 == fold }.count }
        #expect(sizes.max()! - sizes.min()! <= 7)
        #expect(AmbivalenceTrainer.personFolds(groups.reversed(), folds: 5) == Array(folds.reversed()))
    }

    /// Synthetic answers (sentences written for this test): hesitant ones hedge, contrast and
    /// pause; decided ones do not. Held-out people are scored well, and the shipped model's
    /// threshold maps to a score of 0.5.
    @Test func trainerSeparatesHesitantFromDecidedAnswersOnHeldOutPeople() throws {
        var generator = Generator(state: 11)
        let hesitant = ["I mean, I guess I could try, but I'm not sure.", "Um, maybe, I don't know, it depends.",
                        "I kind of want to stop, but then again I'd miss it.", "Well, uh, I probably should, though I keep putting it off.",
                        "I think so, but honestly I'm torn about it."]
        let decided = ["I go running every morning at six.", "We moved here in May and we love the city.",
                       "My job is teaching maths to teenagers.", "I finished the project last week and it went well.",
                       "Breakfast is coffee and toast, then I take the bus."]
        var examples: [AmbivalenceTrainer.Example] = []
        for person in 0..<20 {
            for answer in 0..<4 {
                let label = (person + answer) % 2 == 0
                let text = (0..<2).map { _ in generator.pick(label ? hesitant : decided) }.joined(separator: " ")
                examples.append(.init(tally: TextTally(text: text), label: label, group: "p\(person)"))
            }
        }
        var trainer = AmbivalenceTrainer()
        trainer.l2Grid = [1e-3, 1e-2]
        trainer.featureScaleGrid = [0.3]
        trainer.iterations = 300
        let report = try trainer.train(examples, name: "test", data: "synthetic")
        #expect(report.folds.count == 5)
        #expect(report.folds.map(\.people).reduce(0, +) == 20)
        #expect(report.pooled.averagePrecision! > 0.95)
        #expect(report.pooled.macroF1 > 0.9)
        let model = report.model
        let probability = model.score(TextTally(text: "I guess maybe, but I'm not sure.")).probability
        #expect(probability > 0.5)
        #expect(model.score(TextTally(text: "I take the bus to work.")).probability < 0.5)
        // The score is the probability re-centred on the threshold.
        let result = model.score(TextTally(text: "Um, I don't know."))
        #expect((result.score >= 0.5) == (result.probability >= model.threshold))
        #expect(model.vocabulary.contains("i guess"))
        // Written and read back, it scores the same.
        let decoded = try AmbivalenceTextModel.load(json: JSONEncoder().encode(model), source: "m.json")
        #expect(decoded.score(TextTally(text: "Um, I don't know.")) == result)
        // Too few people for the folds is one clear error.
        #expect(throws: StageError("A/H training needs at least 5 people for 5 person folds; got 2")) {
            _ = try trainer.train(Array(examples.prefix(8)), name: "t", data: "d")
        }
    }
}
