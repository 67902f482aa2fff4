# e1k_netlink: link configuration through libnl-route (driver/netlink.c).
# Included from driver/CMakeLists.txt.  Uses hal/tapdev for TUNSETCARRIER.
add_library(e1k_netlink STATIC ${CMAKE_CURRENT_LIST_DIR}/netlink.c)
target_include_directories(e1k_netlink PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(e1k_netlink PUBLIC PkgConfig::LIBNL e1k_hal)
