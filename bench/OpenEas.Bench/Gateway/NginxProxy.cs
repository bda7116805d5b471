using System.Globalization;
using OpenEas.Bench.Infrastructure;

namespace OpenEas.Bench.Gateway;

/// <summary>
/// nginx (1 worker, keep-alive to the upstream) in a temp directory of its own: config, pid, error log and
/// temp paths all live there, nothing under /etc or /var is touched. Runs in the foreground as the runner's
/// child; disposing it sends SIGTERM (fast shutdown), then kills it.
/// </summary>
internal sealed class NginxProxy : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly DirectoryInfo _dir;

    private NginxProxy(ChildProcess process, DirectoryInfo dir, int port)
    {
        _process = process;
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The master's pid; its worker is a child (count both for CPU).</summary>
    public int Pid => _process.Pid;

    /// <param name="upstreamPort">The upstream on 127.0.0.1.</param>
    /// <param name="ct">Cancels the wait for it to listen.</param>
    /// <param name="model">
    /// For model calls: every path goes to the upstream's <c>/</c>, and request and response bodies of megabytes are kept in
    /// memory (by default nginx writes a body over 16 KB to a temp file).
    /// </param>
    public static async Task<NginxProxy> StartAsync(int upstreamPort, CancellationToken ct, bool model = false)
    {
        var dir = Directory.CreateTempSubdirectory("openeas-bench-nginx-");
        var port = Ports.Free();
        var conf = Path.Combine(dir.FullName, "nginx.conf");
        await File.WriteAllTextAsync(conf, Config(dir.FullName, port, upstreamPort, model), ct);
        var process = ChildProcess.Start("nginx", "nginx", ["-c", conf, "-p", dir.FullName + "/", "-e", Path.Combine(dir.FullName, "error.log")], dir.FullName);
        var proxy = new NginxProxy(process, dir, port);
        try
        {
            await Ports.WaitListeningAsync(port, TimeSpan.FromSeconds(10), () => proxy.Describe(), ct);
            return proxy;
        }
        catch
        {
            await proxy.DisposeAsync();
            throw;
        }
    }

    public static string Config(string dir, int port, int upstreamPort, bool model = false) => string.Create(CultureInfo.InvariantCulture, $$"""
        worker_processes 1;
        daemon off;
        master_process on;
        pid {{dir}}/nginx.pid;
        error_log {{dir}}/error.log warn;
        events { worker_connections 1024; }
        http {
            access_log off;
            client_body_temp_path {{dir}}/client_body;
            proxy_temp_path {{dir}}/proxy;
            fastcgi_temp_path {{dir}}/fastcgi;
            uwsgi_temp_path {{dir}}/uwsgi;
            scgi_temp_path {{dir}}/scgi;
            keepalive_requests 1000000;
            upstream u {
                server 127.0.0.1:{{upstreamPort}};
                keepalive 64;
            }
            server {
                listen 127.0.0.1:{{port}};
                {{(model ? "client_max_body_size 64m; client_body_buffer_size 4m;" : "")}}
                location / {
                    {{(model ? "rewrite ^ / break; proxy_buffer_size 64k; proxy_buffers 64 64k; proxy_busy_buffers_size 128k; proxy_max_temp_file_size 0;" : "")}}
                    proxy_pass http://u;
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                }
            }
        }
        """);

    private string Describe()
    {
        var log = Path.Combine(_dir.FullName, "error.log");
        var text = File.Exists(log) ? File.ReadAllText(log) : "";
        return $"nginx {(_process.HasExited ? $"exited with code {_process.ExitCode}" : "is running")}:\n{_process.Tail()}\n{text}";
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _process.DisposeAsync();
        }
        finally
        {
            try
            {
                _dir.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
