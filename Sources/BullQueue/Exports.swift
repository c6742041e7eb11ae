@_exported import RelayJSON
