import AsyncHTTPClient
import RelayProviders

/// One HTTP client for every worker pool the tests start.
enum PoolClient {
    static let shared = ProviderHTTPClient.make()
}
