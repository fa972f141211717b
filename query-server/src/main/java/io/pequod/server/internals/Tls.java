package io.pequod.server.internals;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import javax.net.ssl.SSLException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * TLS of an instance, from PEM files: the context its ports serve with (asking clients for a
 * certificate when it has client CAs) and the one it calls other instances with (trusting the
 * given CAs or the JDK's, and presenting its own certificate when asked). The file readers throw
 * {@link IllegalArgumentException}s that say what is wrong with the file, for the configuration to
 * name the setting.
 */
public final class Tls {
    private static final Pattern KEY = Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");
    private static final String CONVERT = "openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8 converts it";

    private final SslContext server;
    private final SslContext peers;

    /**
     * @param chain    this instance's certificate chain, its own first
     * @param key      its private key
     * @param clientCa CAs whose certificates clients must present, or {@code null} (no client certificate asked)
     * @param trust    CAs trusted when calling other instances, or {@code null} (the JDK's)
     * @throws SSLException if the JDK cannot make a context of them
     */
    public Tls(X509Certificate[] chain, PrivateKey key, X509Certificate[] clientCa, X509Certificate[] trust) throws SSLException {
        SslContextBuilder s = SslContextBuilder.forServer(key, chain).sslProvider(SslProvider.JDK);
        if (clientCa != null) {
            s.trustManager(clientCa).clientAuth(ClientAuth.REQUIRE);
        }
        server = s.build();
        peers = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).trustManager(trust).keyManager(key, chain).build();
    }

    /** @return the context the ports serve TLS with */
    public SslContext server() {
        return server;
    }

    /** @return the context for calls to other instances (the caller checks their host names) */
    public SslContext peers() {
        return peers;
    }

    /**
     * @param file a PEM file of certificates
     * @return its certificates, in order
     * @throws IllegalArgumentException if it cannot be read or holds no certificate
     */
    public static X509Certificate[] certificates(Path file) {
        String pem = read(file);
        if (!pem.contains("-----BEGIN CERTIFICATE-----")) {
            throw new IllegalArgumentException("not a PEM certificate file (no -----BEGIN CERTIFICATE----- line)");
        }
        try {
            return CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))
                    .stream().map(c -> (X509Certificate) c).toArray(X509Certificate[]::new);
        } catch (CertificateException e) {
            throw new IllegalArgumentException("not a valid PEM certificate: " + e.getMessage(), e);
        }
    }

    /**
     * @param file a PEM file of an unencrypted PKCS#8 private key (RSA, EC or EdDSA)
     * @return the key
     * @throws IllegalArgumentException if it cannot be read or is no such key
     */
    public static PrivateKey privateKey(Path file) {
        String pem = read(file);
        Matcher m = KEY.matcher(pem);
        if (!m.find()) {
            throw new IllegalArgumentException(pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")
                    ? "an encrypted key; only unencrypted PKCS#8 keys are read (" + CONVERT + ")"
                    : pem.matches("(?s).*-----BEGIN [A-Z]+ PRIVATE KEY-----.*")
                    ? "not a PKCS#8 key (-----BEGIN PRIVATE KEY-----); " + CONVERT
                    : "not a PEM private key (no -----BEGIN PRIVATE KEY----- line)");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(m.group(1).replaceAll("\\s", ""));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a valid PEM private key: " + e.getMessage(), e);
        }
        for (String algorithm : List.of("RSA", "EC", "EdDSA", "RSASSA-PSS", "DSA")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException | RuntimeException notThis) {
                // try the next algorithm
            }
        }
        throw new IllegalArgumentException("not an RSA, EC or EdDSA private key the JDK can read");
    }

    /**
     * @param key  a private key
     * @param cert a certificate
     * @return whether the key is the certificate's (a signature by the key verifies with its public key)
     */
    public static boolean matches(PrivateKey key, X509Certificate cert) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "DSA" -> "SHA256withDSA";
            case "RSASSA-PSS" -> null;
            default -> key.getAlgorithm(); // EdDSA, Ed25519, Ed448
        };
        if (algorithm == null) {
            return true; // PSS needs parameters; the handshake will tell
        }
        try {
            byte[] probe = "pequod".getBytes(StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance(algorithm);
            s.initSign(key);
            s.update(probe);
            byte[] signed = s.sign();
            Signature v = Signature.getInstance(algorithm);
            v.initVerify(cert.getPublicKey());
            v.update(probe);
            return v.verify(signed);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static String read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(Files.exists(file) ? "not a regular file" : "no such file");
        }
        try {
            return Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no such file", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read it: " + e, e);
        }
    }
}
