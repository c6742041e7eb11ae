/// Provider clients (OpenAI, Anthropic, simulated), circuit breakers and routing.
///
/// This target depends on neither Redis nor the web server; the providers arrive with the workers issue.
public enum RelayProviders {}
