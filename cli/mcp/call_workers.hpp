// A thread per tools/call in flight, so a slow or waiting call never blocks another.
#pragma once

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

namespace airlock::mcp {

class CallWorkers {
  public:
    ~CallWorkers();  // joins every worker
    void start(std::function<void()> work);
    void join_all();

  private:
    struct Worker {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> done;
    };
    void reap_finished_locked();

    std::mutex mutex_;
    std::list<Worker> workers_;
};

}  // namespace airlock::mcp
