#include "ui/report.hpp"

#include <string_view>

#include "platform/sha256.hpp"
#include "ui/api.hpp"
#include "ui/assets.hpp"

namespace airlock::ui {

namespace {

// 'sha256-<base64>' for a CSP source list.
std::string csp_hash(std::string_view text) {
    static constexpr char kBase64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const Sha256Digest digest = sha256(text);
    std::string out = "'sha256-";
    std::size_t i = 0;
    for (; i + 2 < digest.size(); i += 3) {
        const unsigned v = (digest[i] << 16) | (digest[i + 1] << 8) | digest[i + 2];
        for (int s : {18, 12, 6, 0})
            out += kBase64[(v >> s) & 63];
    }
    // 32 bytes: two are left, three characters and one pad.
    const unsigned v = (digest[i] << 16) | (digest[i + 1] << 8);
    out += kBase64[(v >> 18) & 63];
    out += kBase64[(v >> 12) & 63];
    out += kBase64[(v >> 6) & 63];
    out += "='";
    return out;
}

}  // namespace

std::string script_safe_json(const std::string& json) {
    std::string out;
    out.reserve(json.size());
    for (char c : json) {
        if (c == '<')
            out += "\\u003c";
        else if (c == '>')
            out += "\\u003e";
        else if (c == '&')
            out += "\\u0026";
        else
            out += c;
    }
    return out;
}

Result<std::string> render_report(const RunInfo& run, const wal::Log& log) {
    const Asset* js = find_asset("app.js");
    const Asset* css = find_asset("app.css");
    if (js == nullptr || css == nullptr) return make_error("ui", "the page's files are missing");
    // Inlined as they are: they must not be able to close their own element.
    if (js->bytes.find("</") != std::string_view::npos ||
        css->bytes.find("</") != std::string_view::npos)
        return make_error("ui", "app.js or app.css contains \"</\" and cannot be inlined");
    const std::string data = script_safe_json(dump(report_document(run, log)));
    const std::string csp = "default-src 'none'; script-src " + csp_hash(js->bytes) +
                            "; style-src " + csp_hash(css->bytes) +
                            "; img-src data:; base-uri 'none'; form-action 'none'";
    std::string html;
    html.reserve(data.size() + js->bytes.size() + css->bytes.size() + 1024);
    html += "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    html += "<meta http-equiv=\"Content-Security-Policy\" content=\"" + csp + "\">\n";
    html += "<meta name=\"referrer\" content=\"no-referrer\">\n";
    html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    html += "<title>airlock run report</title>\n<style>";
    html += css->bytes;
    html += "</style>\n</head>\n<body>\n<main id=\"app\"></main>\n";
    html += "<script type=\"application/json\" id=\"airlock-report\">";
    html += data;
    html += "</script>\n<script>";
    html += js->bytes;
    html += "</script>\n</body>\n</html>\n";
    return html;
}

}  // namespace airlock::ui
