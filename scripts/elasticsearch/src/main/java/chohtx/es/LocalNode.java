package chohtx.es;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.PluginsLoader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One Elasticsearch node for the test suite, started in a plain JVM from the Maven Central jars.
 *
 * <pre>java -cp CLASSPATH -Dchohtx.es.modules=DIR chohtx.es.LocalNode [HOME_DIR] [HTTP_PORT]</pre>
 *
 * HOME_DIR (or $CHOHTX_ES_HOME) is path.home, with the data in HOME_DIR/data;
 * HTTP_PORT (or $CHOHTX_ES_PORT) defaults to 54331.
 * The system property chohtx.es.modules names a directory laid out like the distribution's modules/
 * (one sub-directory per module: its jar and plugin-descriptor.properties); scripts/elasticsearch.sh builds it
 * with transport-netty4, the only module Elastic publishes, which gives the node its HTTP and transport layers.
 * The node runs until the process is terminated; SIGTERM closes it cleanly through a shutdown hook.
 *
 * <p>Only the server's own features exist. Missing, because their modules are not published:
 * analysis-common (every tokenizer but standard, filters such as asciifolding, edge_ngram, synonym;
 * the built-in analyzers standard, simple, whitespace, stop and keyword do work), mapper-extras
 * (search_as_you_type, scaled_float, rank_feature), lang-painless (scripts), reindex
 * (_reindex, _delete_by_query, _update_by_query) and rest-root ({@code GET /}, {@code HEAD /}).
 */
public final class LocalNode {
    private LocalNode() {
    }

    public static void main(String[] args) throws Exception {
        Path home = Path.of(arg(args, 0, "CHOHTX_ES_HOME", "/var/tmp/chohtx-services/es-data")).toAbsolutePath();
        int httpPort = Integer.parseInt(arg(args, 1, "CHOHTX_ES_PORT", "54331"));
        Path modules = Path.of(System.getProperty("chohtx.es.modules", home.resolve("modules").toString()));
        Files.createDirectories(home.resolve("config"));

        Settings settings = Settings.builder()
            .put("cluster.name", "chohtx-test")
            .put("node.name", "chohtx-test-node")
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("network.host", "127.0.0.1")
            .put("http.port", httpPort)
            .put("transport.port", 0) // any free port: a single node never connects to another one
            .put("discovery.type", "single-node")
            // A nearly full disk must not turn the test indices read-only.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("logger.level", "INFO")
            .build();
        // Console logging only (stdout goes to the log file); no log4j2.properties needed.
        LogConfigurator.configureWithoutConfig(settings);

        // Modules are loaded as non-modular plugins: the server jar sits on the class path, not the module path.
        // xpack.security.enabled is not set: X-Pack is not on the class path, so the node has no security to turn off.
        CountDownLatch closed = new CountDownLatch(1);
        try {
            PluginsLoader pluginsLoader = PluginsLoader.createPluginsLoader(
                PluginsLoader.loadModulesBundles(modules), Set.of(), Map.of(), false);
            Node node = new Node(new Environment(settings, home.resolve("config")), pluginsLoader);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> close(node, closed), "chohtx-es-shutdown"));
            node.start();
        } catch (Throwable t) {
            // The node's threads would keep the JVM alive: fail the process instead.
            t.printStackTrace();
            Runtime.getRuntime().halt(1);
        }
        System.out.println("chohtx-test node started: http://127.0.0.1:" + httpPort);
        closed.await(); // keeps the main thread (and the JVM) alive until the shutdown hook has run
    }

    private static void close(Node node, CountDownLatch closed) {
        try {
            node.close();
            if (!node.awaitClose(30, TimeUnit.SECONDS)) {
                System.err.println("the node did not close within 30 s");
            }
        } catch (Exception e) {
            e.printStackTrace();
        } finally {
            closed.countDown();
        }
    }

    private static String arg(String[] args, int index, String envName, String fallback) {
        if (args.length > index) return args[index];
        String value = System.getenv(envName);
        return value == null || value.isEmpty() ? fallback : value;
    }
}
