import Essentials
// Errors raised by the Statistics target.

/// A problem with the input of a statistical computation (METHOD.md §6).
///
/// Every case carries a sentence that says what was wrong and with which values, so that the
/// command line can show it unchanged.
public enum StatisticsError: SoilBetaError, Equatable, Sendable {
    /// Fewer observations than the method needs (e.g. SD of one value, LOESS with too few points).
    case tooFewObservations(String)
    /// An argument outside its domain (probability not in [0, 1], degrees of freedom ≤ 0 …).
    case invalidArgument(String)
    /// Input values that are not finite (NaN or ±∞) where numbers are required.
    case nonFiniteValue(String)

    /// The message to show to a user.
    public var description: String {
        switch self {
        case .tooFewObservations(let message): return message
        case .invalidArgument(let message): return message
        case .nonFiniteValue(let message): return message
        }
    }
}
