#include "cli/mcp/call_workers.hpp"

namespace airlock::mcp {

CallWorkers::~CallWorkers() {
    join_all();
}

void CallWorkers::start(std::function<void()> work) {
    std::lock_guard lock(mutex_);
    // An exited thread keeps its stack until it is joined: reap before adding.
    reap_finished_locked();
    auto done = std::make_shared<std::atomic<bool>>(false);
    workers_.push_back({std::thread([work = std::move(work), done] {
                            work();
                            *done = true;
                        }),
                        done});
}

void CallWorkers::reap_finished_locked() {
    for (auto it = workers_.begin(); it != workers_.end();) {
        if (*it->done) {
            it->thread.join();
            it = workers_.erase(it);
        } else {
            ++it;
        }
    }
}

void CallWorkers::join_all() {
    std::list<Worker> workers;
    {
        std::lock_guard lock(mutex_);
        workers.swap(workers_);
    }
    for (auto& w : workers)
        w.thread.join();
}

}  // namespace airlock::mcp
