import Foundation
import JWTKit
import RelayIngress
import Testing

@Suite("Tokens signed by an identity provider's key")
struct PublicKeyTokenTests {
    static func sign(_ claims: RelayClaims, with key: ES256PrivateKey, kid: String? = nil) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: key, kid: kid.map { JWKIdentifier(string: $0) })
        return try await keys.sign(claims, kid: kid.map { JWKIdentifier(string: $0) })
    }

    static func claims(user: String = "carol") -> RelayClaims {
        RelayClaims(userId: user, roles: ["user"], permissions: ["services:use"], expires: Date().addingTimeInterval(60))
    }

    @Test("an ES256 token verifies with the provider's PEM public key; another key's does not")
    func pemPublicKey() async throws {
        let key = ES256PrivateKey()
        let authority = try await TokenAuthority(configuration: .init(publicKeyPEM: key.publicKey.pemRepresentation))
        let identity = try await authority.verify(try await Self.sign(Self.claims(), with: key))
        #expect(identity.userId == "carol" && identity.maySubmit)
        let stranger = try await Self.sign(Self.claims(user: "mallory"), with: ES256PrivateKey())
        await #expect { _ = try await authority.verify(stranger) } throws: { ($0 as? IngressError)?.code == .unauthorized }
        #expect(TokenAuthority.Configuration(publicKeyPEM: key.publicKey.pemRepresentation).secretWeakness == nil)
    }

    @Test("a token verifies with a JWKS file's key, chosen by kid")
    func jwks() async throws {
        let key = ES256PrivateKey()
        guard let parameters = key.publicKey.parameters else { Issue.record("no key parameters"); return }
        let jwks = #"{"keys":[{"kty":"EC","crv":"P-256","alg":"ES256","kid":"idp-1","x":"\#(parameters.x)","y":"\#(parameters.y)"}]}"#
        let authority = try await TokenAuthority(configuration: .init(jwksJSON: jwks))
        let identity = try await authority.verify(try await Self.sign(Self.claims(), with: key, kid: "idp-1"))
        #expect(identity.userId == "carol")
        await #expect(throws: IngressError.self) { try await TokenAuthority(configuration: .init(jwksJSON: "{not json")) }
    }

    @Test("an RS256 token verifies with the provider's PEM public key; another key's does not")
    func rsaPublicKey() async throws {
        let authority = try await TokenAuthority(configuration: .init(publicKeyPEM: TestRSAKeys.publicPEM))
        func sign(_ claims: RelayClaims, with pem: String) async throws -> String {
            let keys = JWTKeyCollection()
            await keys.add(rsa: try Insecure.RSA.PrivateKey(pem: pem), digestAlgorithm: .sha256)
            return try await keys.sign(claims)
        }
        let identity = try await authority.verify(try await sign(Self.claims(), with: TestRSAKeys.privatePEM))
        #expect(identity.userId == "carol" && identity.maySubmit)
        let stranger = try await sign(Self.claims(user: "mallory"), with: TestRSAKeys.otherPrivatePEM)
        await #expect { _ = try await authority.verify(stranger) } throws: { ($0 as? IngressError)?.code == .unauthorized }
        // An HS256 token made with some secret is refused when only the public key is configured.
        let hmac = JWTKeyCollection()
        await hmac.add(hmac: HMACKey(from: "a-secret-the-server-does-not-have-0123456789"), digestAlgorithm: .sha256)
        let forged = try await hmac.sign(Self.claims(user: "mallory"))
        await #expect { _ = try await authority.verify(forged) } throws: { ($0 as? IngressError)?.code == .unauthorized }
    }
}

/// Fixed 2048-bit RSA test keys (made with `openssl genrsa 2048`; used only by these tests).
enum TestRSAKeys {
    static let privatePEM = """
        -----BEGIN PRIVATE KEY-----
        MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDm5VHRb3LcY9Q9
        Ra6E8uBMTNN5r2zuc/Bqay0RDQEDcRPpdfekKU7FJvfBH/F33BHZnJqSayof2ang
        sewi7RXM4JgvqrpoSvp7gb2w0gvwbSU8NzgDGqgu4nXVrLwZiK2rO1Koekn7SIQw
        GgxKyByKIYYoxaua4hsDe7KPdLFqzm93m0lvoJ1ZXTlczhcsV5FfqRVu7BtFdNug
        FKyaUNz4nlsqzf7db1Zyo53R+N62KfQH6+yXB2vkL2PgjZKSdKT9UAZLNlw5L/KE
        1i7cGnHweUDfWkaIX6eTaK3rKXVNrNeDwpnHV5Cdn6CjZD0on26IWmJTT9yIrkpl
        zoeMp/8fAgMBAAECggEAF8GqfGkCIWjoEnHT9fvjVhZlf9Sr2ZD2QIzMcz+qRgdh
        bBjmJO7XGvPac/Vsa8+pyoERalU6XVKQ5vyHdkR8hLrrDaR8T3S/duuvb7z823zv
        YtWvnqokecZ1J0oBhIMKk16kL499gyw/5Y8Yiq0yOogefJ1x/Zqb+uzEP3xbMMjg
        n43jeUeuScKgNslAU/1QCvxi8fTT0TFf9+SbXNorXJMeNW+RDbxJFf+tCDQGfQ5H
        hKiON0I3vMY58eIZrAaQOOURDhHrBH5kmfdM8znL7vyMvgWbx7GuqWbwF6Rs3lK+
        JIKkzt1suNV8NoQNtvugkaH7v6cX/BS3oxzAwPN3wQKBgQD83xWIo6U4mAekaLro
        YGHFmWaOgcuNoZl5Mz5wsLO2D7BlfvGluDBmDYaAItVu62qZU0n6aOZpv02D4HAD
        ZocyjvYRXcQxLV/Cpdlpk3o/x7SKulkmgSP2I91lv4KtMCok/qKuMXfbZAZ+Eh8K
        QXEm4Pa6HOFoIebP39ojvv+I4QKBgQDpwKHiY8Lq6GdjeBAG//x6BhnoJHOEHCll
        pFu11vPlAwgMzyOXK1hrqFJEJccd5dNXGevUzVbEc2VcB2cw3GtUnGRv5FXXvBIN
        nNsFzgHpnaUsMeY3GYPQTF2NjI6ngzv8/5IlT7SE4qZYXT9rWybbEDDE4+ag7Zr0
        vXHyOPCH/wKBgQCEXjqldhRM1bhaZcBBWAKWL0CyJFtrXkY6XYq37qeEDB5oYtUX
        zJz5LudTN+jF0VHRxPmarUK/5DYtbFT2Urs+yfshCBZlL71K5Qoz69E4hc+KNxXn
        w/4RIKEKW/+JrQbCqtB5osd8/pUvdUjuU2dp1KUSs3+CxQxPkHxd7eNRwQKBgHBW
        a3Zpi1tppYZgRROYIrZiCEFQg1OSVTLL8mdJjp0Y/91oDyqvYicbFa46mZ78vLy3
        cGcs5+4xpxy7UhRhWhOntX0wtzCe6e4w2/HGN5UWdjLvKDyCvp50lOFaE5TdtQ65
        pHrZ+1+BrX/6EGh/vgS5mzaEcGoWxsmn4gMO6knxAoGBAJlSuPu5SnQnkOp1ep/T
        u7l+5m/P78/NLFOZkkC27AYmSg434KTUURCmQA+wP+uE8fOmYhwUoY4di2gdYRVq
        YHlnBu6Mr/wBzM4/WKt6QoyP3neJJbJ9Q0LYb6OY9AXNShJl5M/83xbvC/9SYE80
        ld0ZEihL0x4hDqNfLfq8FbFM
        -----END PRIVATE KEY-----
        """
    static let publicPEM = """
        -----BEGIN PUBLIC KEY-----
        MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA5uVR0W9y3GPUPUWuhPLg
        TEzTea9s7nPwamstEQ0BA3ET6XX3pClOxSb3wR/xd9wR2ZyakmsqH9mp4LHsIu0V
        zOCYL6q6aEr6e4G9sNIL8G0lPDc4AxqoLuJ11ay8GYitqztSqHpJ+0iEMBoMSsgc
        iiGGKMWrmuIbA3uyj3Sxas5vd5tJb6CdWV05XM4XLFeRX6kVbuwbRXTboBSsmlDc
        +J5bKs3+3W9WcqOd0fjetin0B+vslwdr5C9j4I2SknSk/VAGSzZcOS/yhNYu3Bpx
        8HlA31pGiF+nk2it6yl1TazXg8KZx1eQnZ+go2Q9KJ9uiFpiU0/ciK5KZc6HjKf/
        HwIDAQAB
        -----END PUBLIC KEY-----
        """
    static let otherPrivatePEM = """
        -----BEGIN PRIVATE KEY-----
        MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCrY1ZlkR+pSJND
        HfxEXXNkOEwwEO2m8gmsqhQiOPy91hlzLgK0zEUzCNV6rDLr7OPI9NBmH02AHYCN
        SujF8ILcRQMMBkKWGMClhVHxFi4Y+V6pGpc5kT7QvjZZ5idVCbWwM047qzwkTWdk
        JJWAWbfMO/ItDIclgIEV2XODZVxB34qFyrHkr3eqCfzdEv2x2FEe8ypMi3HwVSR8
        aK7IPk1FoJ98C5o9FFNTFiorlDK89zswdpg2OenmvK7AGjVGxm79GCp0OI06+crg
        WmnXIueb7OZGopqpk0pT4qLdb6upGsgYNUnsKl5bbZF/YDTgz6uafqD6t1ng7WMk
        +94uUKkdAgMBAAECggEARygPo0yc+hItPeTxq0qnUXlEPIKSwMjltl/Iyyqg2IpO
        97CnI/xZUKZ+x5c97xDjw7fM3FFrwmC9UixDN4czNZObf78Lnzi4pyASlMdSLUE/
        iXMGTTrd+xm2BB4Xv2kwG285sHFYH3RZlEzSGz9knXFYC1cTt0DCl1k4adnH83rX
        OnaUoRCv2vvck18fjdgMzXZIqE6fK3NWjL7bs+tYdSAKUFkHZpq7x2fFdmjxRt+N
        rITuOxl7IwAb8slhVD09stspgQV2woPxI/Qttp4N7BiJEurUnbiJkJ5JiLf3q18v
        OBR9w9eEVENuGuounlJyUzxVxy1RlyrUVhUg9qglGwKBgQDgGmD+xnTEg6bL6zKF
        KdVGaumOe0FGjTmroirooRPhsocvWQe8+bhPIiyFoXlkFHiGWFZ2r4z26P/3bbjR
        JPHmqEYa7ptSNSn5cleFJ9ODnU0Ii8g2ZVqg08gddoxYUH8hhQpyY4WEWA4BFhM6
        Lk/2DpFVzH0jMlr01bvZR7OUswKBgQDDyC/enedx5oob2oEaPDFTUCbPu5AbjU8Y
        raHCKA8eMxX7Ik0xEC0RtH1hb744q4Hbmg6KGd1SFmiZnsYxRzgF6PtcR364jjbJ
        p5QrBRISCmiz3zyQalCYNy9AUfHYCkUKQooXEh9o2GloF77MTJ+M/8DR1ajm3rOq
        k4+HnprS7wKBgQDbxwL42YgKcVJTCgYxsiUHOjJzGU2a80VrnU6XdeEZpwwM0zNT
        kVO/x7QCGaoDDFBm8JtbKi8EttzQuzpVYfYaT0zxfK+2n4zapdhPLg+xM8Mobm2b
        ayrGLuxCeNCKi+ch6GemZxO6BuE1D4Ervd+NYBwIGNNggTHSiwn+vOLRIQKBgCMe
        ide5I4c+/483hukZ2w9C1XN2BcerdYDLxLR7UxrrtwmxgX9Hk44Vflg4HzszKLwn
        ymvjb9wFwQWtgYfdaqNEw7It8QFSIWnS8bU116P80gNSDB8rswFbBNLY4DUMwo2w
        mezBh3jbOS0+9S7Yn9Y/GmuJlB613CzBA4IkZUlpAoGBAJGs1hl32uHBEx69MQhQ
        ZakpTl+OkMuf+mkIVS1Wz31cUDIlGhmy63j05Fi9F0TX6crrlMlPNLBAPaKtE28R
        a4tFpLqFC25tzXiMG33zOQx33mkarootimZjH0i9AzGQdtBGrX9ejIadT5YZzlfT
        +2Jv4Bo5rWl0nR3CRzfc6YQL
        -----END PRIVATE KEY-----
        """
}
