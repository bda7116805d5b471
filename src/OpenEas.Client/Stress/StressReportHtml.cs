using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using OpenEas.Contracts;

namespace OpenEas.Client.Stress;

/// <summary>
/// The stress report as one self-contained HTML file: a summary table, the ramp steps, and per-second charts of
/// QPS (offered and achieved), latency percentiles, errors and instance CPU, drawn as inline SVG by a small inline
/// script from the embedded JSON. Nothing is fetched: it opens offline.
/// </summary>
public static class StressReportHtml
{
    public static string Render(StressReport report)
    {
        var s = report.Summary;
        var ic = CultureInfo.InvariantCulture;
        var json = JsonSerializer.Serialize(report, EasJsonContext.Default.StressReport).Replace("</", "<\\/", StringComparison.Ordinal);
        var sb = new StringBuilder(16 * 1024 + json.Length);
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        sb.Append(ic, $"<title>eas bench {E(s.Service)} — {E(s.Mode)}</title>");
        sb.Append(Style);
        sb.Append("</head><body>");
        sb.Append(ic, $"<h1>Stress test of <code>{E(s.Service)}</code></h1>");
        sb.Append(ic, $"<p class=\"sub\">{E(s.Mode)} · {s.Start:yyyy-MM-dd HH:mm:ss} UTC · {s.Seconds:0.0} s · {E(s.StopReason)}</p>");
        sb.Append("<table class=\"summary\"><tbody>");
        Row(sb, "sent", s.Sent.ToString(ic));
        Row(sb, "ok (2xx)", s.Ok.ToString(ic));
        Row(sb, "errors", s.Errors.ToString(ic) + (s.ErrorsByStatus.Count > 0
            ? " (" + string.Join(", ", s.ErrorsByStatus.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}: {e.Value}")) + ")" : ""));
        Row(sb, "achieved QPS", s.AchievedQps.ToString("0.0", ic));
        Row(sb, "latency p50 / p90 / p99 / p99.9 / max (ms)",
            string.Create(ic, $"{s.P50Ms:0.00} / {s.P90Ms:0.00} / {s.P99Ms:0.00} / {s.P999Ms:0.00} / {s.MaxMs:0.00}"));
        if (s.MaxSustainableQps is { } max)
        {
            Row(sb, "max sustainable QPS", max.ToString("0.##", ic));
        }

        sb.Append("</tbody></table>");
        if (report.Steps.Count > 0)
        {
            sb.Append("<h2>Ramp steps</h2><table class=\"steps\"><thead><tr><th>step</th><th>offered/s</th><th>achieved/s</th><th>ok</th><th>errors</th><th>p99 ms</th><th>verdict</th></tr></thead><tbody>");
            foreach (var st in report.Steps)
            {
                sb.Append(ic, $"<tr><td>{st.Index}</td><td>{st.OfferedQps:0.##}</td><td>{st.AchievedQps:0.0}</td><td>{st.Ok}</td><td>{st.Errors}</td><td>{st.P99Ms:0.00}</td><td>{E(st.Verdict)}</td></tr>");
            }

            sb.Append("</tbody></table>");
        }

        sb.Append("<p class=\"note\">Open-loop latencies are measured from each call's intended send time (coordinated omission corrected). Answers and latencies are counted in the second they arrived; sends in the second they were due.</p>");
        sb.Append("<div id=\"charts\"></div>");
        sb.Append("<script type=\"application/json\" id=\"data\">").Append(json).Append("</script>");
        sb.Append(Script);
        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    private static void Row(StringBuilder sb, string name, string value) =>
        sb.Append("<tr><th>").Append(E(name)).Append("</th><td>").Append(E(value)).Append("</td></tr>");

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    private const string Style = """
        <style>
        body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fff}
        h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:20px 0 6px} .sub,.note{color:#666}
        table{border-collapse:collapse;margin:8px 0} th,td{border:1px solid #ddd;padding:3px 8px;text-align:left}
        .steps td{text-align:right} .steps td:last-child{text-align:left}
        #charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:16px;margin-top:12px}
        .chart{border:1px solid #ddd;padding:6px} .chart h3{font-size:14px;margin:0 0 4px}
        .legend span{margin-right:12px;font-size:12px} .legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
        svg text{font-size:10px;fill:#555}
        </style>
        """;

    // Draws each chart as an SVG of polylines; marks each <svg> with data-points and the body with data-charts-drawn.
    private const string Script = """
        <script>
        (function(){
        var r=JSON.parse(document.getElementById('data').textContent), S=r.seconds||[];
        var NS='http://www.w3.org/2000/svg', root=document.getElementById('charts'), drawn=0;
        function el(n,a,p){var e=document.createElementNS(NS,n);for(var k in a)e.setAttribute(k,a[k]);if(p)p.appendChild(e);return e;}
        function fmt(v){return v>=100?Math.round(v):v>=10?v.toFixed(1):v.toFixed(2);}
        function chart(title,unit,series){
          var box=document.createElement('div');box.className='chart';root.appendChild(box);
          var h=document.createElement('h3');h.textContent=title+' ('+unit+')';box.appendChild(h);
          var lg=document.createElement('div');lg.className='legend';box.appendChild(lg);
          series.forEach(function(s){var sp=document.createElement('span');sp.innerHTML='<i style="background:'+s.color+'"></i>'+s.name;lg.appendChild(sp);});
          var W=520,H=220,L=48,R=10,T=10,B=24,w=W-L-R,hh=H-T-B;
          var svg=el('svg',{width:W,height:H,viewBox:'0 0 '+W+' '+H,'class':'plot'},box);
          var pts=series.map(function(s){return S.map(function(x,i){return [x.t+1,s.f(x)];}).filter(function(p){return p[1]!==null&&p[1]!==undefined&&!isNaN(p[1]);});});
          var n=0,maxX=1,maxY=0;pts.forEach(function(p){p.forEach(function(q){n++;maxX=Math.max(maxX,q[0]);maxY=Math.max(maxY,q[1]);});});
          if(maxY<=0)maxY=1;maxY*=1.08;
          el('rect',{x:L,y:T,width:w,height:hh,fill:'#fafafa',stroke:'#ccc'},svg);
          for(var g=0;g<=4;g++){var y=T+hh-hh*g/4;el('line',{x1:L,x2:L+w,y1:y,y2:y,stroke:'#e4e4e4'},svg);
            var tx=el('text',{x:L-4,y:y+3,'text-anchor':'end'},svg);tx.textContent=fmt(maxY*g/4);}
          var sx=Math.max(1,Math.ceil(maxX/6));for(var v=0;v<=maxX;v+=sx){var t2=el('text',{x:L+w*v/maxX,y:H-8,'text-anchor':'middle'},svg);t2.textContent=v+'s';}
          pts.forEach(function(p,i){if(!p.length)return;
            var d=p.map(function(q){return (L+w*q[0]/maxX).toFixed(1)+','+(T+hh-hh*q[1]/maxY).toFixed(1);}).join(' ');
            el('polyline',{points:d,fill:'none',stroke:series[i].color,'stroke-width':2,'data-series':series[i].name},svg);
            p.forEach(function(q){el('circle',{cx:(L+w*q[0]/maxX).toFixed(1),cy:(T+hh-hh*q[1]/maxY).toFixed(1),r:1.8,fill:series[i].color},svg);});});
          if(!n){var m=el('text',{x:L+w/2,y:T+hh/2,'text-anchor':'middle'},svg);m.textContent='no data';}
          svg.setAttribute('data-points',n);if(n)drawn++;
        }
        chart('Throughput','calls/s',[{name:'offered',color:'#999',f:function(x){return x.offeredQps>0?x.offeredQps:null;}},
                                      {name:'achieved (2xx)',color:'#1f77b4',f:function(x){return x.achievedQps;}}]);
        chart('Latency','ms',[{name:'p50',color:'#2ca02c',f:function(x){return x.ok+x.errors-x.dropped>0?x.p50Ms:null;}},
                              {name:'p90',color:'#ff7f0e',f:function(x){return x.ok+x.errors-x.dropped>0?x.p90Ms:null;}},
                              {name:'p99',color:'#d62728',f:function(x){return x.ok+x.errors-x.dropped>0?x.p99Ms:null;}}]);
        chart('Errors','per second',[{name:'errors',color:'#d62728',f:function(x){return x.errors;}},
                                     {name:'dropped (over the outstanding cap)',color:'#9467bd',f:function(x){return x.dropped;}}]);
        chart('Instance CPU','% of one core',[{name:'CPU',color:'#8c564b',f:function(x){return x.cpuPercent;}}]);
        document.body.setAttribute('data-charts-drawn',drawn);
        })();
        </script>
        """;
}
