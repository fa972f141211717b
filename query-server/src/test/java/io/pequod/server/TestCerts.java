package io.pequod.server;

import io.pequod.embedded.Files2;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A throw-away certificate authority for the TLS tests, made with BouncyCastle: a CA, and
 * certificates it signs written as PEM files (certificate, unencrypted PKCS#8 key) to a temporary
 * directory that {@link #close()} deletes.
 */
final class TestCerts implements AutoCloseable {
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    private final Path dir;
    private final KeyPair caKeys;
    private final X509Certificate caCert;
    /** The CA's certificate (PEM). */
    final Path ca;

    /** A certificate and its key, and the PEM files they are in. */
    record Issued(X509Certificate cert, KeyPair keys, Path certFile, Path keyFile) {
    }

    TestCerts() throws Exception {
        dir = Files.createTempDirectory("pequod-tls-");
        caKeys = keyPair();
        X500Name name = new X500Name("CN=Pequod test CA");
        X509v3CertificateBuilder b = builder(name, name, caKeys)
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                .addExtension(Extension.subjectKeyIdentifier, false, new JcaX509ExtensionUtils().createSubjectKeyIdentifier(caKeys.getPublic()));
        caCert = sign(b, caKeys);
        ca = write("ca.pem", pem("CERTIFICATE", caCert.getEncoded()));
    }

    /**
     * @param name file name prefix
     * @param dns  DNS names in its subject alternative names
     * @param ips  IP addresses in them
     * @return a certificate for servers and clients, signed by the CA
     */
    Issued issue(String name, String[] dns, String[] ips) throws Exception {
        KeyPair keys = keyPair();
        GeneralName[] names = new GeneralName[dns.length + ips.length];
        for (int i = 0; i < dns.length; i++) {
            names[i] = new GeneralName(GeneralName.dNSName, dns[i]);
        }
        for (int i = 0; i < ips.length; i++) {
            names[dns.length + i] = new GeneralName(GeneralName.iPAddress, ips[i]);
        }
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        X509v3CertificateBuilder b = builder(new X500Name("CN=Pequod test CA"), new X500Name("CN=" + name), keys)
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
                .addExtension(Extension.extendedKeyUsage, false,
                        new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
                .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names))
                .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(caCert));
        X509Certificate cert = sign(b, caKeys);
        return new Issued(cert, keys, write(name + ".pem", pem("CERTIFICATE", cert.getEncoded())),
                write(name + "-key.pem", pem("PRIVATE KEY", keys.getPrivate().getEncoded())));
    }

    /** @return a certificate for 127.0.0.1 and localhost */
    Issued localhost(String name) throws Exception {
        return issue(name, new String[] {"localhost"}, new String[] {"127.0.0.1"});
    }

    /**
     * @param client a certificate to present, or {@code null}
     * @return a JDK TLS context trusting the CA (and presenting the certificate)
     */
    SSLContext context(Issued client) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", caCert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        KeyManagerFactory kmf = null;
        if (client != null) {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("me", client.keys().getPrivate(), new char[0], new X509Certificate[] {client.cert(), caCert});
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, new char[0]);
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    /** @return a file in the directory, written */
    Path write(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text, StandardCharsets.US_ASCII);
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static KeyPair keyPair() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(2))), subject, keys.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair issuer) throws Exception {
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate())));
    }

    @Override
    public void close() {
        Files2.deleteRecursively(dir);
    }
}
