import Hummingbird

/// The request context of every ingress HTTP route.
public struct RelayRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Request bodies larger than this are refused with 413.
    public var maxUploadSize: Int { 4 * 1024 * 1024 }

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }
}
