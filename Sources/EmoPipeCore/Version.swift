/// EmoPipe's version, printed by `emopipe --version` and recorded with results.
public enum EmoPipeVersion {
    public static let current = "0.1.0"
}
