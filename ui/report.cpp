#include "ui/report.hpp"

#include <openssl/evp.h>

#include <string_view>

#include "ui/api.hpp"
#include "ui/assets.hpp"

namespace airlock::ui {

namespace {

// 'sha256-<base64>' for a CSP source list.
std::string csp_hash(std::string_view text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
    unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
    const int n = EVP_EncodeBlock(b64, digest, static_cast<int>(len));
    return "'sha256-" + std::string(reinterpret_cast<const char*>(b64), static_cast<size_t>(n)) +
           "'";
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
